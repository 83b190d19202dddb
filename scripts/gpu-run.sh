#!/bin/bash
# Build, test and benchmark im2win on a lent GPU machine (Ubuntu 24.04,
# nvcc, cuDNN, compute-sanitizer; no libtool, no Check, no network).
#
# 1. Here, on the development machine, after every change to be tried:
#      scripts/gpu-run.sh prepare [BUILD_DIR]
#    makes the dist tarball (configure and Makefile.in included, so the GPU
#    machine needs no autotools or libtool) in BUILD_DIR (default
#    /tmp/b-gpu, configured on first use) and puts it, with the Check and
#    subunit packages unpacked, in .gpu-deps/ (ignored through
#    .gitignore).
# 2. On the GPU machine (the device tool's run, carrying .gpu-deps):
#      bash scripts/gpu-run.sh device [full|test|quick|bench] [BENCH_ARGS...]
#    test:  build, make check, compute-sanitizer memcheck and racecheck
#           over tests/test_cuda
#    bench: build, bench/im2win-bench --backend cuda BENCH_ARGS
#    quick: build, make check, bench
#    tune VARIANT... -- BENCH_ARGS: bench each variant build of the
#           plugin (no make check: run quick or test for correctness)
#    suite VARIANT...: the CUDA suite against each variant build of the
#           plugin (e.g. "-DSK_JOIN_CLOCKS=0" for the stream-K fixup)
#    suite-tune VARIANT... -- BENCH_ARGS: both, one build per variant
#    profile BENCH_ARGS: GEMM disassembly and Nsight Compute reports
#    full:  make check, bench, then the sanitizers (the default; the
#           numbers come back even when the sanitizers outrun the call)
#    verify: bench, then the sanitizers, whose memcheck run is the CUDA
#           suite itself (the CPU suites run on the development machine):
#           full's coverage of the CUDA code in less device time
#    race:  racecheck alone (RACECHECK_S seconds, default 200), for
#           when a verify call's share of the time ran out on it
#    against BENCH_ARGS: the benchmark of this build and of the earlier
#           one whose dist tarball is in .gpu-deps/base/ (scripts/gpu-run.sh
#           prepare-base REV makes it), alternating, twice each, plus both
#           builds' GEMM disassembly: a change measured in one call
#    Logs go to $OUT (at most 8 files come back): summary.txt last lines
#    are the table to read.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
deps=$here/.gpu-deps

prepare() {
    local build=${1:-/tmp/b-gpu}
    set -e
    mkdir -p "$deps" "$build"
    if [ ! -d "$deps/root/usr/include" ]; then
        (cd "$deps" && apt-get download check libsubunit0 libsubunit-dev &&
            for f in ./*.deb; do dpkg -x "$f" root; done)
    fi
    if [ ! -f "$build/Makefile" ]; then
        (cd "$build" && "$here/configure" --enable-werror CFLAGS="-O2 -g")
    fi
    rm -f "$build"/im2win-*.tar.gz "$deps"/im2win-*.tar.gz
    make -C "$build" -j2 dist >/dev/null
    cp "$build"/im2win-*.tar.gz "$deps/"
    ls -l "$deps"/im2win-*.tar.gz
}

# The dist tarball of revision REV in .gpu-deps/base/, for `against`.
prepare_base() {
    local rev=${1:?prepare-base REV} tree=/tmp/im2win-base-src
    set -e
    rm -rf "$tree" "$deps/base" && mkdir -p "$deps/base"
    git -C "$here" worktree add -f --detach "$tree" "$rev" >/dev/null
    (cd "$tree" && autoreconf -fi >/dev/null 2>&1 && mkdir -p b && cd b &&
        ../configure >/dev/null && make -j2 dist >/dev/null)
    cp "$tree"/b/im2win-*.tar.gz "$deps/base/"
    git -C "$here" worktree remove --force "$tree"
    ls -l "$deps"/base/
}

# Run a step, its output to a log; note the outcome in the summary.
step() {
    local name=$1 log=$2
    shift 2
    local t0=$SECONDS
    "$@" >>"$log" 2>&1
    local rc=$?
    echo "$name: rc=$rc ($((SECONDS - t0)) s, log $(basename "$log"))" |
        tee -a "$OUT/summary.txt"
    return $rc
}

build() {
    local lib=$deps/root/usr/lib/x86_64-linux-gnu
    # Check is static; subunit too, so nothing is needed at run time
    export CHECK_CFLAGS="-I$deps/root/usr/include"
    export CHECK_LIBS="$lib/libcheck.a $lib/libsubunit.a -lm -lrt -lpthread"
    rm -rf /tmp/im2win-gpu && mkdir -p /tmp/im2win-gpu
    tar xzf "$deps"/im2win-*.tar.gz -C /tmp/im2win-gpu --strip-components=1
    cd /tmp/im2win-gpu || return 1
    {
        nvidia-smi
        nvcc --version
        gcc --version | head -1
    } >"$OUT/env.log" 2>&1
    # no -Werror here: another compiler version must not stop a GPU run
    # (the development build has it); warnings stay in build.log
    step configure "$OUT/build.log" ./configure CFLAGS="-O2 -g" || return 1
    sed -n '/configuration summary/,$p' "$OUT/build.log" >>"$OUT/env.log"
    step make "$OUT/build.log" make -j16 || return 1
    step make-check-build "$OUT/build.log" make -j16 check TESTS= || return 1
}

check() {
    export IM2WIN_CUDA_PLUGIN=$PWD/src/cuda/libim2win-cuda.so
    step make-check "$OUT/check.log" make -j16 check
    cat test-suite.log tests/test_cuda.log >>"$OUT/check.log" 2>/dev/null
    grep -E '^(# |PASS|FAIL|SKIP|ERROR)' "$OUT/check.log" |
        tee -a "$OUT/summary.txt"
}

sanitize() {
    local cs=/usr/local/cuda/bin/compute-sanitizer
    # the libtool wrapper would be sanitized instead of the program
    step memcheck "$OUT/memcheck.log" timeout 240 ./libtool --mode=execute \
        "$cs" --tool memcheck --leak-check full --error-exitcode 9 \
        tests/test_cuda
    tail -3 "$OUT/memcheck.log" >>"$OUT/summary.txt"
    racecheck
}

racecheck() {
    local cs=/usr/local/cuda/bin/compute-sanitizer
    # racecheck is slow: the hand-picked shapes cover every kernel; the
    # modes without make check leave it more of the call (RACECHECK_S)
    step racecheck "$OUT/racecheck.log" env CK_RUN_CASE=cases \
        timeout "${RACECHECK_S:-200}" \
        ./libtool --mode=execute "$cs" --tool racecheck \
        --racecheck-report all --error-exitcode 9 tests/test_cuda
    tail -3 "$OUT/racecheck.log" >>"$OUT/summary.txt"
}

run_bench() {
    export IM2WIN_CUDA_PLUGIN=$PWD/src/cuda/libim2win-cuda.so
    step bench "$OUT/bench.log" bench/im2win-bench --backend cuda "$@"
    tail -60 "$OUT/bench.log" >>"$OUT/summary.txt"
}

# The plugin built with extra nvcc flags FLAGS in DIR/plugin.so, the
# compiler's output to LOG: variant DIR FLAGS LOG
variant() {
    local dir=$1 flags=$2 log=$3 arch
    arch=$(sed -n 's/^NVCC_ARCH_FLAGS = //p' Makefile)
    mkdir -p "$dir"
    # shellcheck disable=SC2086 # flags are word lists on purpose
    printf "%s\n" src/cuda/*.cu | xargs -P 16 -I{} sh -c "nvcc $arch -O3 $flags \
        -Xcompiler -fPIC,-fvisibility=hidden -Iinclude -Isrc -I. \
        -c {} -o $dir/\$(basename {} .cu).o" >>"$log" 2>&1 &&
        nvcc $arch -shared -cudart static -o "$dir/plugin.so" \
            "$dir"/*.o -ldl -lpthread >>"$log" 2>&1
}

# Each variant of the plugin built in /tmp/TAG-i, then CMD run with it
# as the plugin, output to LOG: run_variants TAG LOG VARIANT... -- CMD...
run_variants() {
    local tag=$1 log=$2 variants=() i=0
    shift 2
    while [ $# -gt 0 ] && [ "$1" != -- ]; do variants+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    for v in "${variants[@]}"; do
        local dir=/tmp/$tag-$i
        i=$((i + 1))
        echo "== variant '$v'" >>"$log"
        if variant "$dir" "$v" "$log"; then
            IM2WIN_CUDA_PLUGIN=$dir/plugin.so step "$tag '$v'" "$log" "$@"
        else
            echo "variant '$v' does not build" | tee -a "$OUT/summary.txt"
        fi
    done
}

# Tuning: rebuild the plugin once per variant (extra nvcc flags, e.g.
# "-DTAIL=1.0"; "" is the plain build) and run the benchmark
# against each: tune VARIANT... -- BENCH_ARGS
tune() {
    local variants=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do variants+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    run_variants variant "$OUT/bench.log" "${variants[@]}" -- \
        bench/im2win-bench --backend cuda "$@"
    grep -E '^(== variant|conv[0-9]+ )' "$OUT/bench.log" |
        grep -v cuDNN >>"$OUT/summary.txt"
}

# The CUDA suite, then the benchmark, against each variant build of the
# plugin, one build each (a tuning variant checked and measured in one
# call): suite-tune VARIANT... -- BENCH_ARGS
suite_tune() {
    local variants=() i=0
    while [ $# -gt 0 ] && [ "$1" != -- ]; do variants+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    for v in "${variants[@]}"; do
        local dir=/tmp/suite-tune-$i
        i=$((i + 1))
        echo "== variant '$v'" | tee -a "$OUT/check.log" >>"$OUT/bench.log"
        if ! variant "$dir" "$v" "$OUT/check.log"; then
            echo "variant '$v' does not build" | tee -a "$OUT/summary.txt"
            continue
        fi
        IM2WIN_CUDA_PLUGIN=$dir/plugin.so step "suite '$v'" \
            "$OUT/check.log" tests/test_cuda
        IM2WIN_CUDA_PLUGIN=$dir/plugin.so step "bench '$v'" \
            "$OUT/bench.log" bench/im2win-bench --backend cuda "$@"
    done
    grep -E '^(== variant|[0-9]+%)' "$OUT/check.log" >>"$OUT/summary.txt"
    grep -E '^(== variant|conv[0-9]+ )' "$OUT/bench.log" |
        grep -v cuDNN >>"$OUT/summary.txt"
}

# The CUDA suite against each variant of the plugin (paths a plain build
# takes only on a busy device, e.g. "-DSK_JOIN_CLOCKS=0": every stream-K
# join times out and the fixup kernel finishes the cut tiles):
# suite VARIANT...
suite() {
    run_variants suite "$OUT/check.log" "$@" -- tests/test_cuda
    grep -E '^(== variant|[0-9]+%)' "$OUT/check.log" >>"$OUT/summary.txt"
}

# Profile: the GEMM kernel's disassembly and one Nsight Compute report
# of each of the first 3 kernels of the benchmark run given whose names
# match I2W_PROFILE_KERNELS (default: every plugin kernel; keep it to one
# layer).
profile() {
    export IM2WIN_CUDA_PLUGIN=$PWD/src/cuda/libim2win-cuda.so
    sass . "$OUT/sass.txt"
    step ncu "$OUT/ncu.txt" /usr/local/cuda/bin/ncu --set full \
        --kernel-name "regex:${I2W_PROFILE_KERNELS:-i2w_cuda}" \
        --launch-count 3 \
        bench/im2win-bench --backend cuda --reps 1 --no-check "$@"
    grep -E 'i2w_cuda|Duration|Compute \(SM\) T|Registers Per|Achieved Occ|Issue Slots|Eligible Warps|L1/TEX Hit|each warp of this workload spends|represents about' \
        "$OUT/ncu.txt" | cut -c1-140 | head -150 >>"$OUT/summary.txt"
}

# The SASS of the plugin's GEMM functions whose names match
# I2W_SASS_KERNELS (default: the 128-channel NHWC one) in build DIR, to
# OUT_FILE, without the encoding comments (all of them: over 16 MB).
sass() {
    /usr/local/cuda/bin/cuobjdump -sass "$1"/src/cuda/im2win_gemm.o |
        awk -v re="${I2W_SASS_KERNELS:-gemm_kernelILi128ELi8ELi3E}" \
            '/Function :/ { keep = $0 ~ re } keep' |
        sed -e 's@ */\* 0x[0-9a-f]* \*/@@' -e '/^ *$/d' >"$2"
}

against() {
    local base=/tmp/im2win-base now=$PWD
    rm -rf "$base" && mkdir -p "$base"
    tar xzf "$deps"/base/im2win-*.tar.gz -C "$base" --strip-components=1
    (cd "$base" && step base-build "$OUT/build.log" \
        sh -c './configure CFLAGS="-O2 -g" && make -j16') || return 1
    for round in 1 2; do
        for dir in "$base" "$now"; do
            local name=now
            [ "$dir" = "$base" ] && name=base
            echo "== $name, round $round" >>"$OUT/bench.log"
            (cd "$dir" && IM2WIN_CUDA_PLUGIN=$dir/src/cuda/libim2win-cuda.so \
                step "$name $round" "$OUT/bench.log" \
                bench/im2win-bench --backend cuda "$@")
        done
    done
    sass "$base" "$OUT/sass-base.txt"
    sass . "$OUT/sass.txt"
    grep -E '^(== |conv[0-9]+ |cuda )' "$OUT/bench.log" >>"$OUT/summary.txt"
}

device() {
    local mode=${1:-full}
    [ $# -gt 0 ] && shift
    : "${OUT:?OUT must name the folder whose files come back}"
    touch "$OUT/summary.txt"
    build || { tail -40 "$OUT/build.log"; exit 1; }
    case $mode in
    quick) check; run_bench "$@" ;;
    test) check; sanitize ;;
    bench) run_bench "$@" ;;
    tune) tune "$@" ;;
    suite) suite "$@" ;;
    suite-tune) suite_tune "$@" ;;
    profile) profile "$@" ;;
    full) check; run_bench "$@"; sanitize ;;
    verify) sass . "$OUT/sass.txt"; run_bench "$@"
        RACECHECK_S=${RACECHECK_S:-300} sanitize ;;
    against) against "$@" ;;
    race) export IM2WIN_CUDA_PLUGIN=$PWD/src/cuda/libim2win-cuda.so
        racecheck ;;
    *) echo "unknown mode $mode" >&2; exit 2 ;;
    esac
    cat "$OUT/summary.txt"
}

case ${1:-} in
prepare) shift; prepare "$@" ;;
prepare-base) shift; prepare_base "$@" ;;
device) shift; device "$@" ;;
*) sed -n '2,/^set -u/p' "$0" | sed '$d'; exit 2 ;;
esac
