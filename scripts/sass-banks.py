#!/usr/bin/env python3
"""Count the FP32 FMAs of each kernel of an sm_90 cubin whose operands
collide in the register file, without a disassembler.

An FFMA reads three registers.  Those marked for the operand reuse cache
cost no read; two of the others in the same bank (register number modulo
2) cost the warp an extra cycle.  ptxas decides which registers meet, so
the count changes with the order of the FMAs in the source: the GEMM
kernels' order table (fma_order in src/cuda/im2win_gemm.cu) was chosen
with this script.

    nvcc -gencode arch=compute_90,code=sm_90 -O3 -cubin -Iinclude -Isrc \\
        -I. -I BUILD_DIR src/cuda/im2win_gemm.cu -o gemm.cubin
    scripts/sass-banks.py gemm.cubin [REGEX]

prints, per kernel whose name matches REGEX: FFMAs, operands read from
the reuse cache, FFMAs with a bank collision.

Encoding (sm_90, 128 bits, little endian): opcode in bits 0-11 (FFMA of
three registers: 0x223), destination in bits 16-23, sources a and b in
bits 24-31 and 32-39, source c in bits 64-71, the reuse flags of a, b, c
in bits 122-124; register 255 is RZ.
"""
import re
import struct
import sys


def sections(path):
    """Name -> bytes of each section of an ELF64 file."""
    data = open(path, 'rb').read()
    shoff = struct.unpack_from('<Q', data, 0x28)[0]
    entsize, count, names = struct.unpack_from('<HHH', data, 0x3a)
    heads = [struct.unpack_from('<IIQQQQIIQQ', data, shoff + i * entsize)
             for i in range(count)]
    strtab = heads[names][4]

    def name(offset):
        end = data.index(b'\0', strtab + offset)
        return data[strtab + offset:end].decode()
    return {name(h[0]): data[h[4]:h[4] + h[5]] for h in heads}


def ffma_stats(code):
    ffma = reused = collide = 0
    for pos in range(0, len(code) - 15, 16):
        lo, hi = struct.unpack_from('<QQ', code, pos)
        if lo & 0xfff != 0x223:
            continue
        ffma += 1
        flags = (hi >> 58) & 0x7
        regs = []
        for bit, reg in enumerate(((lo >> 24) & 0xff, (lo >> 32) & 0xff,
                                   hi & 0xff)):
            if flags >> bit & 1:
                reused += 1
            elif reg != 255:
                regs.append(reg)
        if len({r % 2 for r in regs}) < len(regs):
            collide += 1
    return ffma, reused, collide


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    pattern = re.compile(sys.argv[2] if len(sys.argv) > 2 else '')
    print(f'{"kernel":70s} {"ffma":>6s} {"reused":>7s} {"collide":>8s}')
    for name, code in sorted(sections(sys.argv[1]).items()):
        if name.startswith('.text.') and pattern.search(name):
            ffma, reused, collide = ffma_stats(code)
            if ffma:
                print(f'{name[6:][:70]:70s} {ffma:6d} {reused:7d} '
                      f'{collide:8d}')


if __name__ == '__main__':
    main()
