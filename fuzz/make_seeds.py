#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""
Writes small, valid TFLite models into a directory: seeds for the fuzzer.

The real models are 0.25-2.7 MB, mostly weights, and use only some of the
ops the reader supports. libFuzzer spends most of its time copying and
hashing such inputs and mutating bytes that are weights. These models are a
few hundred bytes each, so the fuzzer runs thousands of times faster on
them, and together they reach every op parser in src/model/tflite.c
(each of them loads with BD_OK; scripts/fuzz.sh checks that).

Usage: fuzz/make_seeds.py OUTDIR

Includes a minimal flatbuffer writer that lays objects out front to back
(tables before what they point to, vtables just before their tables), which
is valid flatbuffer wire format and simple to get right. Field numbers
follow tensorflow/lite/schema/schema.fbs. Standard library only.
"""
import os
import struct
import sys


class Table:
    def __init__(self, fields):
        self.fields = fields  # {field id: (kind, value)}


class Vec:
    def __init__(self, kind, items):
        self.kind = kind      # 'u8', 'i32', 'off'
        self.items = items


SIZES = {'u8': 1, 'i32': 4, 'u32': 4, 'f32': 4, 'u64': 8, 'off': 4}
FMT = {'u8': '<B', 'i32': '<i', 'u32': '<I', 'f32': '<f', 'u64': '<Q'}


class Builder:
    def __init__(self):
        self.buf = bytearray()

    def align(self, n):
        while len(self.buf) % n:
            self.buf.append(0)

    def put(self, fmt, v):
        self.buf += struct.pack(fmt, v)

    def patch_off(self, at, target):
        struct.pack_into('<I', self.buf, at, target - at)

    def obj(self, o):
        if isinstance(o, Table):
            return self.table(o)
        return self.vec(o)

    def vec(self, v):
        self.align(4)
        start = len(self.buf)
        if v.kind == 'u8':
            data = bytes(v.items)
            self.put('<I', len(data))
            self.buf += data
            return start
        self.put('<I', len(v.items))
        if v.kind == 'i32':
            for x in v.items:
                self.put('<i', x)
            return start
        slots = []
        for _ in v.items:
            slots.append(len(self.buf))
            self.put('<I', 0)
        for at, child in zip(slots, v.items):
            self.patch_off(at, self.obj(child))
        return start

    def table(self, t):
        ids = sorted(t.fields)
        nfields = ids[-1] + 1 if ids else 0
        # layout of the table's inline part
        offs = {}
        o = 4
        for i in ids:
            size = SIZES[t.fields[i][0]]
            while o % min(size, 4):
                o += 1
            offs[i] = o
            o += size
        t_size = o
        self.align(4)
        vt = len(self.buf)
        vt_size = 4 + 2 * nfields
        self.put('<H', vt_size)
        self.put('<H', t_size)
        for i in range(nfields):
            self.put('<H', offs.get(i, 0))
        self.align(4)
        tp = len(self.buf)
        self.put('<i', tp - vt)
        self.buf += bytes(t_size - 4)
        children = []
        for i in ids:
            kind, val = t.fields[i]
            at = tp + offs[i]
            if kind == 'off':
                children.append((at, val))
            else:
                struct.pack_into(FMT[kind], self.buf, at, val)
        for at, child in children:
            self.patch_off(at, self.obj(child))
        return tp

    def finish(self, root):
        self.buf += b'\0\0\0\0TFL3'
        self.patch_off(0, self.table(root))
        return bytes(self.buf)


# ---- TFLite model builder -------------------------------------------------

F32, F16, I32 = 0, 1, 2
SAME, VALID = 0, 1
NONE, RELU, RELU_N1, RELU6 = 0, 1, 2, 3

OP = dict(ADD=0, AVERAGE_POOL_2D=1, CONCATENATION=2, CONV_2D=3, DEPTHWISE_CONV_2D=4,
          DEQUANTIZE=6, FULLY_CONNECTED=9, LOGISTIC=14, MAX_POOL_2D=17, MUL=18, RELU=19,
          RELU6=21, RESHAPE=22, RESIZE_BILINEAR=23, SOFTMAX=25, TANH=28, CUSTOM=32, PAD=34,
          MEAN=40, SUB=41, SQUEEZE=43, PRELU=54, TRANSPOSE_CONV=67, EXPAND_DIMS=70,
          LEAKY_RELU=98, SQUARED_DIFFERENCE=99, HARD_SWISH=117)


def count(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def f32s(n, seed=1):
    out = bytearray()
    x = seed
    for _ in range(n):
        x = (x * 1103515245 + 12345) & 0x7fffffff
        out += struct.pack('<f', (x % 2001 - 1000) / 1000.0)
    return bytes(out)


class Model:
    def __init__(self):
        self.tensors = []
        self.buffers = [Table({})]   # buffer 0: the empty sentinel
        self.ops = []
        self.opcodes = []
        self.inputs = []
        self.outputs = []
        self.tail = []               # (buffer index, bytes) for the offset layout

    def tensor(self, shape, dtype=F32, data=None, name=None, external=False):
        buf = 0
        if data is not None:
            if external:
                self.buffers.append(None)  # filled in by build()
                self.tail.append((len(self.buffers) - 1, data))
            else:
                self.buffers.append(Table({0: ('off', Vec('u8', data))}))
            buf = len(self.buffers) - 1
        idx = len(self.tensors)
        nm = name if name is not None else 't%d' % idx
        self.tensors.append(Table({0: ('off', Vec('i32', list(shape))), 1: ('u8', dtype),
                                   2: ('u32', buf), 3: ('off', Vec('u8', nm.encode()))}))
        return idx

    def act(self, shape, name=None):
        return self.tensor(shape, name=name)

    def const(self, shape, seed=1, external=False):
        return self.tensor(shape, F32, f32s(count(shape), seed), external=external)

    def ints(self, values):
        return self.tensor([len(values)], I32, struct.pack('<%di' % len(values), *values))

    def opcode(self, code, custom=None):
        key = (code, custom)
        if key not in self.opcodes:
            self.opcodes.append(key)
        return self.opcodes.index(key)

    def op(self, name, ins, out, opts=None, custom=None, custom_opts=None):
        code = OP[name] if name in OP else OP['CUSTOM']
        idx = self.opcode(code, custom)
        fields = {0: ('u32', idx), 1: ('off', Vec('i32', list(ins))), 2: ('off', Vec('i32', [out]))}
        if opts is not None:
            fields[4] = ('off', Table(opts))
        if custom_opts is not None:
            fields[5] = ('off', Vec('u8', custom_opts))
        self.ops.append(Table(fields))
        return out

    def build(self):
        codes = []
        for code, custom in self.opcodes:
            f = {0: ('u8', min(code, 127)), 2: ('i32', 1), 3: ('i32', code)}
            if custom:
                f[1] = ('off', Vec('u8', custom.encode()))
            codes.append(Table(f))
        # Offset layout: data after the flatbuffer, at absolute offsets.
        # Two passes: the flatbuffer's size does not depend on the offsets.
        for bi, data in self.tail:
            self.buffers[bi] = Table({1: ('u64', 2), 2: ('u64', len(data))})
        sg = Table({0: ('off', Vec('off', self.tensors)), 1: ('off', Vec('i32', self.inputs)),
                    2: ('off', Vec('i32', self.outputs)), 3: ('off', Vec('off', self.ops))})
        root = Table({0: ('u32', 3), 1: ('off', Vec('off', codes)), 2: ('off', Vec('off', [sg])),
                      4: ('off', Vec('off', self.buffers))})
        fb = Builder().finish(root)
        if not self.tail:
            return fb
        pos = (len(fb) + 15) & ~15
        for bi, data in self.tail:
            self.buffers[bi] = Table({1: ('u64', pos), 2: ('u64', len(data))})
            pos = (pos + len(data) + 15) & ~15
        fb = Builder().finish(root)
        out = bytearray(fb)
        for bi, data in self.tail:
            while len(out) % 16:
                out.append(0)
            out += data
        return bytes(out)


def conv_opts(pad=SAME, sw=1, sh=1, act=NONE, dw=1, dh=1):
    return {0: ('u8', pad), 1: ('i32', sw), 2: ('i32', sh), 3: ('u8', act), 4: ('i32', dw), 5: ('i32', dh)}


def dw_opts(pad=SAME, sw=1, sh=1, mult=1, act=NONE, dw=1, dh=1):
    return {0: ('u8', pad), 1: ('i32', sw), 2: ('i32', sh), 3: ('i32', mult), 4: ('u8', act),
            5: ('i32', dw), 6: ('i32', dh)}


def pool_opts(pad=SAME, sw=2, sh=2, fw=2, fh=2, act=NONE):
    return {0: ('u8', pad), 1: ('i32', sw), 2: ('i32', sh), 3: ('i32', fw), 4: ('i32', fh), 5: ('u8', act)}


def single(shape_in, build):
    """A model with one input; build(m, x) returns the output tensor."""
    m = Model()
    x = m.act(shape_in, 'input')
    m.inputs = [x]
    m.outputs = [build(m, x)]
    return m.build()


def seeds():
    S = {}
    S['conv_same_s2'] = single([1, 8, 8, 3], lambda m, x: m.op(
        'CONV_2D', [x, m.const([4, 3, 3, 3]), m.const([4], 2)], m.act([1, 4, 4, 4]), conv_opts(SAME, 2, 2, RELU6)))
    S['conv_valid_dil_nobias'] = single([1, 9, 9, 2], lambda m, x: m.op(
        'CONV_2D', [x, m.const([3, 3, 3, 2]), -1], m.act([1, 5, 5, 3]), conv_opts(VALID, 1, 1, RELU, 2, 2)))
    S['dwconv_mult2'] = single([1, 8, 8, 2], lambda m, x: m.op(
        'DEPTHWISE_CONV_2D', [x, m.const([1, 3, 3, 4]), m.const([4])], m.act([1, 8, 8, 4]),
        dw_opts(SAME, 1, 1, 2, RELU_N1)))
    S['dwconv_valid_s2'] = single([1, 9, 9, 3], lambda m, x: m.op(
        'DEPTHWISE_CONV_2D', [x, m.const([1, 3, 3, 3])], m.act([1, 4, 4, 3]), dw_opts(VALID, 2, 2, 1)))

    def tconv(m, x):
        return m.op('TRANSPOSE_CONV', [m.ints([1, 8, 8, 2]), m.const([2, 3, 3, 4]), x, m.const([2])],
                    m.act([1, 8, 8, 2]), {0: ('u8', SAME), 1: ('i32', 2), 2: ('i32', 2)})
    S['transpose_conv'] = single([1, 4, 4, 4], tconv)

    def tconv_mp(m, x):
        return m.op('Convolution2DTransposeBias', [x, m.const([3, 2, 2, 4]), m.const([3])], m.act([1, 8, 8, 3]),
                    custom='Convolution2DTransposeBias', custom_opts=struct.pack('<3i', 1, 2, 2))
    S['tconv_mediapipe'] = single([1, 4, 4, 4], tconv_mp)

    S['fully_connected'] = single([1, 2, 2, 4], lambda m, x: m.op(
        'FULLY_CONNECTED', [x, m.const([5, 4]), m.const([5])], m.act([4, 5]), {0: ('u8', RELU)}))
    S['add_broadcast'] = single([1, 4, 4, 3], lambda m, x: m.op(
        'ADD', [x, m.const([3])], m.act([1, 4, 4, 3]), {0: ('u8', RELU6)}))
    S['sub_mul'] = single([1, 4, 4, 3], lambda m, x: m.op(
        'MUL', [m.op('SUB', [m.const([1, 1, 1, 3]), x], m.act([1, 4, 4, 3])), x], m.act([1, 4, 4, 3]),
        {0: ('u8', NONE)}))

    def unaries(m, x):
        for name in ['HARD_SWISH', 'RELU', 'RELU6', 'TANH', 'LOGISTIC']:
            x = m.op(name, [x], m.act([1, 4, 4, 2]))
        x = m.op('LEAKY_RELU', [x], m.act([1, 4, 4, 2]), {0: ('f32', 0.1)})
        return m.op('PRELU', [x, m.const([1, 1, 2])], m.act([1, 4, 4, 2]))
    S['unary_chain'] = single([1, 4, 4, 2], unaries)

    S['avg_pool'] = single([1, 7, 7, 2], lambda m, x: m.op(
        'AVERAGE_POOL_2D', [x], m.act([1, 4, 4, 2]), pool_opts(SAME, 2, 2, 3, 3)))
    S['max_pool'] = single([1, 8, 8, 2], lambda m, x: m.op(
        'MAX_POOL_2D', [x], m.act([1, 3, 3, 2]), pool_opts(VALID, 2, 2, 3, 3, RELU)))
    S['mean'] = single([1, 4, 4, 3], lambda m, x: m.op(
        'MEAN', [x, m.ints([1, 2])], m.act([1, 1, 1, 3]), {0: ('u8', 1)}))
    S['resize_bilinear'] = single([1, 4, 4, 2], lambda m, x: m.op(
        'RESIZE_BILINEAR', [x, m.ints([8, 6])], m.act([1, 8, 6, 2]), {2: ('u8', 0), 3: ('u8', 1)}))

    def concat(m, x):
        y = m.op('RELU', [x], m.act([1, 4, 4, 2]))
        return m.op('CONCATENATION', [x, y, x], m.act([1, 4, 4, 6]), {0: ('i32', -1), 1: ('u8', NONE)})
    S['concat'] = single([1, 4, 4, 2], concat)
    S['softmax'] = single([1, 4, 4, 2], lambda m, x: m.op('SOFTMAX', [x], m.act([1, 4, 4, 2]), {0: ('f32', 1.0)}))
    S['pad'] = single([1, 4, 4, 2], lambda m, x: m.op(
        'PAD', [x, m.tensor([4, 2], I32, struct.pack('<8i', 0, 0, 1, 1, 2, 0, 0, 0))], m.act([1, 6, 6, 2])))

    def reshapes(m, x):
        y = m.op('RESHAPE', [x, m.ints([1, 16, 2])], m.act([1, 16, 2]))
        y = m.op('SQUEEZE', [y], m.act([16, 2]))
        return m.op('EXPAND_DIMS', [y, m.ints([0])], m.act([1, 16, 2]))
    S['reshape_squeeze_expand'] = single([1, 4, 4, 2], reshapes)

    def dequant(m, x):
        h = struct.pack('<24e', *([0.5, -0.25, 1.0, 2.0e-6] * 6))  # 2e-6 is an fp16 subnormal
        w16 = m.tensor([2, 3, 2, 2], F16, h)
        w = m.op('DEQUANTIZE', [w16], m.act([2, 3, 2, 2]))
        return m.op('CONV_2D', [x, w], m.act([1, 4, 4, 2]), conv_opts(SAME))
    S['dequantize_fp16'] = single([1, 4, 4, 2], dequant)

    S['buffer_offset_layout'] = single([1, 4, 4, 3], lambda m, x: m.op(
        'CONV_2D', [x, m.const([2, 1, 1, 3], 5, external=True), m.const([2], 6, external=True)],
        m.act([1, 4, 4, 2]), conv_opts(SAME)))

    # Several outputs, as BodyPix has; exercises bd_graph_select_output.
    m = Model()
    x = m.act([1, 8, 8, 2], 'input')
    a = m.op('CONV_2D', [x, m.const([2, 1, 1, 2])], m.act([1, 8, 8, 2]), conv_opts())
    b = m.op('LOGISTIC', [a], m.act([1, 8, 8, 2], 'float_segments'))
    c = m.op('AVERAGE_POOL_2D', [a], m.act([1, 4, 4, 2]), pool_opts())
    d = m.op('SOFTMAX', [c], m.act([1, 4, 4, 2]), {0: ('f32', 1.0)})
    m.inputs = [x]
    m.outputs = [b, d, c]
    S['multi_output'] = m.build()

    # A small selfie-like chain of everything.
    m = Model()
    x = m.act([1, 16, 16, 3], 'input')
    y = m.op('CONV_2D', [x, m.const([8, 3, 3, 3]), m.const([8])], m.act([1, 8, 8, 8]), conv_opts(SAME, 2, 2))
    y = m.op('HARD_SWISH', [y], m.act([1, 8, 8, 8]))
    z = m.op('DEPTHWISE_CONV_2D', [y, m.const([1, 3, 3, 8])], m.act([1, 8, 8, 8]), dw_opts())
    p = m.op('AVERAGE_POOL_2D', [z], m.act([1, 1, 1, 8]), pool_opts(VALID, 8, 8, 8, 8))
    p = m.op('CONV_2D', [p, m.const([8, 1, 1, 8])], m.act([1, 1, 1, 8]), conv_opts())
    p = m.op('LOGISTIC', [p], m.act([1, 1, 1, 8]))
    z = m.op('MUL', [z, p], m.act([1, 8, 8, 8]))
    z = m.op('ADD', [z, y], m.act([1, 8, 8, 8]))
    z = m.op('Convolution2DTransposeBias', [z, m.const([2, 2, 2, 8]), m.const([2])], m.act([1, 16, 16, 2]),
             custom='Convolution2DTransposeBias', custom_opts=struct.pack('<3i', 1, 2, 2))
    z = m.op('RESIZE_BILINEAR', [z, m.ints([16, 16])], m.act([1, 16, 16, 2]))
    z = m.op('CONV_2D', [z, m.const([1, 1, 1, 2])], m.act([1, 16, 16, 1]), conv_opts())
    z = m.op('LOGISTIC', [z], m.act([1, 16, 16, 1], 'segment'))
    m.inputs = [x]
    m.outputs = [z]
    S['selfie_like'] = m.build()
    return S


def main():
    if len(sys.argv) != 2:
        sys.stderr.write('usage: make_seeds.py OUTDIR\n')
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in seeds().items():
        with open(os.path.join(out, 'seed_' + name + '.tflite'), 'wb') as f:
            f.write(data)
    return 0


if __name__ == '__main__':
    sys.exit(main())
