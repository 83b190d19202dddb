#!/bin/sh
# plot.sh: turns im2win-bench --csv output into a PNG with gnuplot: GFLOP/s
# per layer for each algorithm (the comparison library among them), one
# panel per layout, and the machine peak as a line.
#
# usage: bench/plot.sh RESULTS.csv [OUT.png] [BACKEND]
#   BACKEND: which backend's rows (default: the first in the file)
set -eu

usage() {
    echo "usage: $0 RESULTS.csv [OUT.png] [BACKEND]" >&2
    exit 2
}
[ $# -ge 1 ] && [ $# -le 3 ] || usage
csv=$1
png=${2:-${csv%.csv}.png}
[ -r "$csv" ] || { echo "$0: cannot read $csv" >&2; exit 1; }
command -v gnuplot >/dev/null 2>&1 ||
    { echo "$0: gnuplot not found (Debian: apt-get install gnuplot-nox)" >&2; exit 1; }

# columns by name, so a CSV with columns added later still plots
col() {
    head -n 1 "$csv" | tr ',' '\n' | grep -n -x "$1" | cut -d: -f1
}
c_backend=$(col backend) c_layer=$(col layer) c_layout=$(col layout)
c_algo=$(col algo) c_status=$(col status) c_gflops=$(col gflops)
c_peak=$(col peak_gflops)
backend=${3:-$(awk -F, -v b="$c_backend" 'NR == 2 { print $b }' "$csv")}
[ -n "$backend" ] || { echo "$0: no rows in $csv" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# one table per layout: a row per layer, a column per algorithm, "?" where
# an algorithm was skipped (gnuplot leaves a gap)
awk -F, -v dir="$tmp" -v B="$backend" -v cb="$c_backend" -v cl="$c_layer" \
    -v cy="$c_layout" -v ca="$c_algo" -v cs="$c_status" -v cg="$c_gflops" \
    -v cp="$c_peak" '
NR > 1 && $cb == B {
    if (!($cy in seen_layout)) { seen_layout[$cy] = 1; layouts[++nl] = $cy }
    if (!($cl in seen_layer)) { seen_layer[$cl] = 1; layers[++nr] = $cl }
    if (!($ca in seen_algo)) { seen_algo[$ca] = 1; algos[++na] = $ca }
    if ($cs != "skipped" && $cs != "ERROR") {
        val[$cy, $cl, $ca] = $cg
        measured[$cy, $ca] = 1
        if ($cg + 0 > top) top = $cg + 0
    }
    if ($cp + 0 > peak) peak = $cp + 0
}
END {
    for (i = 1; i <= nl; i++) {
        f = dir "/" i ".dat"
        printf "layer" > f
        for (a = 1; a <= na; a++) printf " %s", algos[a] > f
        printf "\n" > f
        for (r = 1; r <= nr; r++) {
            printf "%s", layers[r] > f
            for (a = 1; a <= na; a++) {
                k = layouts[i] SUBSEP layers[r] SUBSEP algos[a]
                printf " %s", (k in val) ? val[k] : "?" > f
            }
            printf "\n" > f
        }
        close(f)
        # the columns this layout has numbers in: an algorithm skipped on
        # every layer would only be an empty slot
        cols = ""
        for (a = 1; a <= na; a++)
            if ((layouts[i], algos[a]) in measured) cols = cols " " a + 1
        print layouts[i], cols > (dir "/layouts")
    }
    print peak + 0 > (dir "/peak")
    print 1.1 * (peak > top ? peak : top) > (dir "/ymax")
}' "$csv"

[ -s "$tmp/layouts" ] || { echo "$0: no rows for backend $backend" >&2; exit 1; }
nlayouts=$(wc -l < "$tmp/layouts")
peak=$(cat "$tmp/peak")
ymax=$(cat "$tmp/ymax")

{
    echo "set terminal pngcairo size 1200,$((360 * nlayouts + 60)) font ',10'"
    echo "set output '$png'"
    echo "set datafile missing '?'"
    echo "set termoption noenhanced"
    echo "set style data histograms"
    echo "set style histogram clustered gap 1"
    echo "set style fill solid 0.85 border -1"
    echo "set ylabel 'GFLOP/s'"
    echo "set yrange [0:$ymax]"
    echo "set grid ytics"
    echo "set key outside right top vertical"
    echo "set xtics rotate by -30"
    echo "set multiplot layout $nlayouts,1 title '$backend: GFLOP/s per layer (im2win-bench)'"
    i=1
    while read -r layout cols; do
        echo "set title '$layout'"
        if [ "$peak" != 0 ]; then
            echo "set arrow 1 from graph 0, first $peak to graph 1, first $peak nohead dt 2 lw 2 lc rgb 'red' front"
            echo "set label 1 'peak $peak GFLOP/s' at graph 0.01, first $peak offset 0,0.7 tc rgb 'red' front"
        fi
        # colours follow the algorithm, not its place in this panel
        echo "plot for [c in '$cols'] '$tmp/$i.dat' using (column(int(c))):xtic(1) title columnhead(int(c)) lc int(c)"
        i=$((i + 1))
    done < "$tmp/layouts"
    echo "unset multiplot"
} > "$tmp/plot.gp"
gnuplot "$tmp/plot.gp"
echo "$png"
