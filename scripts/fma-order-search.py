#!/usr/bin/env python3
"""Find each GEMM kernel's FMA order of fewest register-bank collisions.

    scripts/fma-order-search.py BUILD_DIR [JOBS]

compiles src/cuda/im2win_gemm.cu for sm_90 once per FMA order (0-31, the
bits of fma_order in that file), each time with -DI2W_FMA_ORDER forcing
that order on every kernel, counts the colliding FFMAs of every kernel
with scripts/sass-banks.py and reads ptxas's spill report, then prints per
kernel the order of the table now, its count, and the best orders that do
not spill.  ptxas compiles each kernel on its own, so a table of these
per-kernel choices reproduces their counts (check it with sass-banks.py).
BUILD_DIR is a configured build tree (for config.h); JOBS parallel nvcc
runs (default 2), about 15 s of one core each.
"""
import concurrent.futures
import importlib.util
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ORDERS = range(32)

spec = importlib.util.spec_from_file_location(
    'sass_banks', os.path.join(HERE, 'sass-banks.py'))
sass_banks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sass_banks)


def compile_order(build, tmp, order):
    """Kernel -> (collisions, spilled bytes) with every kernel in `order`
    (None: the table's)."""
    cubin = os.path.join(tmp, f'o{order}.cubin')
    flags = [] if order is None else [f'-DI2W_FMA_ORDER={order}']
    log = subprocess.run(
        ['nvcc', '-gencode', 'arch=compute_90,code=sm_90', '-O3', '-cubin',
         '-Xptxas', '-v', *flags, '-Iinclude', '-Isrc', '-I.', '-I', build,
         'src/cuda/im2win_gemm.cu', '-o', cubin],
        cwd=ROOT, capture_output=True, text=True, check=True).stderr
    spills = {m.group(1): int(m.group(2)) for m in re.finditer(
        r"Compiling entry function '(\w+)'.*\n.*\n\s*\d+ bytes stack "
        r"frame, (\d+) bytes spill stores", log)}
    result = {}
    for name, code in sass_banks.sections(cubin).items():
        kernel = name[len('.text.'):]
        if name.startswith('.text.') and ('gemm_kernel' in kernel or
                                          'stream_k_kernel' in kernel):
            result[kernel] = (sass_banks.ffma_stats(code)[2],
                              spills.get(kernel, 0))
    return result


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    build = os.path.abspath(sys.argv[1])
    jobs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    with tempfile.TemporaryDirectory() as tmp, \
            concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        runs = {o: pool.submit(compile_order, build, tmp, o)
                for o in [None, *ORDERS]}
        counts = {o: f.result() for o, f in runs.items()}
    print(f'{"kernel":60s} {"table":>6s}  best orders (collisions), '
          'no spill')
    for kernel in sorted(counts[None]):
        now, spill = counts[None][kernel]
        best = sorted((counts[o][kernel][0], o) for o in ORDERS
                      if counts[o][kernel][1] == 0)[:3]
        print(f'{kernel[:60]:60s} {now:5d}{"s" if spill else " "}  ' +
              '  '.join(f'{o:2d} ({c})' for c, o in best))


if __name__ == '__main__':
    main()
