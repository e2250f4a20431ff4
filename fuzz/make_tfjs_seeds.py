#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Small TF.js graph models for fuzz_tfjs's corpus, in its input layout
# (4-byte little-endian JSON length, model.json, then the weight file
# "w.bin"): each reaches the reader's ops, the folding of shape arithmetic,
# a Switch/Merge pair, the dilated depthwise pattern and every
# quantisation kind. Usage: make_tfjs_seeds.py OUTDIR
import json, os, struct, sys

def seed(path, nodes, weights, outputs):
    blob = b''
    specs = []
    for name, shape, dtype, values, quant in weights:
        spec = {'name': name, 'shape': shape, 'dtype': dtype}
        if quant == 'uint8':
            spec['quantization'] = {'dtype': 'uint8', 'min': -1.0, 'scale': 2.0 / 255, 'original_dtype': 'float32'}
            blob += bytes(int((v + 1) * 127.5) & 255 for v in values)
        elif quant == 'float16':
            spec['quantization'] = {'dtype': 'float16', 'original_dtype': 'float32'}
            blob += struct.pack('<%de' % len(values), *values)
        elif dtype == 'int32':
            blob += struct.pack('<%di' % len(values), *values)
        elif dtype == 'bool':
            blob += bytes(1 if v else 0 for v in values)
        else:
            blob += struct.pack('<%df' % len(values), *values)
        specs.append(spec)
    model = {'format': 'graph-model', 'modelTopology': {'node': nodes},
             'signature': {'outputs': {k: {'name': v} for k, v in outputs.items()}},
             'weightsManifest': [{'paths': ['w.bin'], 'weights': specs}]}
    js = json.dumps(model, separators=(',', ':')).encode()
    with open(path, 'wb') as f:
        f.write(struct.pack('<I', len(js)) + js + blob)

def const(name, dt='DT_FLOAT', shape=()):
    return {'name': name, 'op': 'Const', 'attr': {'value': {'tensor': {'dtype': dt, 'tensorShape': {'dim': [{'size': str(s)} for s in shape]}}}, 'dtype': {'type': dt}}}

def node(name, op, inputs, **attr):
    return {'name': name, 'op': op, 'input': inputs, 'attr': attr}

S = lambda s: {'s': __import__('base64').b64encode(s.encode()).decode()}
I = lambda v: {'list': {'i': [str(x) for x in v]}}
src = {'name': 'src', 'op': 'Placeholder', 'attr': {'shape': {'shape': {'dim': [{'size': '-1'}] * 3 + [{'size': '3'}]}}, 'dtype': {'type': 'DT_FLOAT'}}}
ratio = {'name': 'downsample_ratio', 'op': 'Placeholder', 'attr': {'dtype': {'type': 'DT_FLOAT'}}}

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
conv = dict(strides=I([1, 1, 1, 1]), padding=S('SAME'), data_format=S('NHWC'), dilations=I([1, 1, 1, 1]))

# 1. conv + relu6 + sigmoid, uint8 weights; resize by ratio through Shape/StridedSlice/Cast/Mul/Pack
w = [('w', [3, 3, 3, 4], 'float32', [((i * 7) % 11) / 11 - 0.5 for i in range(108)], 'uint8'),
     ('b', [4], 'float32', [0.1, -0.2, 0.3, 0.0], 'float16'),
     ('b0', [1], 'int32', [1], None), ('b1', [1], 'int32', [3], None), ('b2', [1], 'int32', [1], None)]
nodes = [src, ratio, const('w', shape=[3, 3, 3, 4]), const('b', shape=[4]),
         const('b0', 'DT_INT32', [1]), const('b1', 'DT_INT32', [1]), const('b2', 'DT_INT32', [1]),
         node('sh', 'Shape', ['src'], out_type={'type': 'DT_INT32'}),
         node('ss', 'StridedSlice', ['sh', 'b0', 'b1', 'b2'], begin_mask={'i': '0'}, end_mask={'i': '0'}, shrink_axis_mask={'i': '0'}),
         node('cf', 'Cast', ['ss'], SrcT={'type': 'DT_INT32'}, DstT={'type': 'DT_FLOAT'}),
         node('m', 'Mul', ['cf', 'downsample_ratio']),
         node('ci', 'Cast', ['m'], SrcT={'type': 'DT_FLOAT'}, DstT={'type': 'DT_INT32'}),
         node('rs', 'ResizeBilinear', ['src', 'ci'], half_pixel_centers={'b': True}),
         node('c', '_FusedConv2D', ['rs', 'w', 'b'], fused_ops={'list': {'s': [S('BiasAdd')['s'], S('Relu6')['s']]}}, num_args={'i': '1'}, **conv),
         node('sg', 'Sigmoid', ['c']),
         node('sp', 'Split', ['ax', 'sg'], num_split={'i': '2'}), const('ax', 'DT_INT32'),
         node('pha', 'Identity', ['sp:1'])]
w.append(('ax', [], 'int32', [3], None))
seed(os.path.join(out, 'seed_conv_resize'), nodes, w, {'pha': 'pha:0'})

# 2. Switch/Merge on Equal(ratio, 1), Mean over HW and over C, Minimum/Maximum, RealDiv, Concat, Pad, AvgPool
w = [('one', [], 'float32', [1.0], None), ('hw', [2], 'int32', [1, 2], None), ('c', [], 'int32', [-1], None),
     ('pads', [4, 2], 'int32', [0, 0, 1, 1, 2, 2, 0, 0], None), ('cax', [], 'int32', [3], None),
     ('lo', [], 'float32', [0.0], None), ('hi', [], 'float32', [1.0], None)]
nodes = [src, ratio, const('one'), const('hw', 'DT_INT32', [2]), const('c', 'DT_INT32'),
         const('pads', 'DT_INT32', [4, 2]), const('cax', 'DT_INT32'), const('lo'), const('hi'),
         node('eq', 'Equal', ['downsample_ratio', 'one']),
         node('sw', 'Switch', ['src', 'eq']),
         node('pool', 'AvgPool', ['sw'], ksize=I([1, 2, 2, 1]), strides=I([1, 2, 2, 1]), padding=S('SAME'), data_format=S('NHWC')),
         node('pad', 'Pad', ['sw:1', 'pads']),
         node('mg', 'Merge', ['pool', 'pad']),
         node('mhw', 'Mean', ['mg', 'hw'], keep_dims={'b': True}),
         node('mc', 'Mean', ['mg', 'c'], keep_dims={'b': True}),
         node('dv', 'RealDiv', ['mc', 'mhw']),
         node('cat', 'ConcatV2', ['dv', 'mg', 'cax']),
         node('mn', 'Minimum', ['cat', 'hi']), node('mx', 'Maximum', ['mn', 'lo']),
         node('pha', 'Identity', ['mx'])]
seed(os.path.join(out, 'seed_cond_mean'), nodes, w, {'pha': 'pha:0'})

# 3. dilated depthwise (SpaceToBatchND -> DepthwiseConv2dNative -> BatchToSpaceND), a recurrent state, SplitV, Slice
w = [('dw', [3, 3, 3, 1], 'float32', [0.1] * 27, None), ('blk', [2], 'int32', [2, 2], None),
     ('sp', [2, 2], 'int32', [2, 2, 2, 2], None), ('cr', [2, 2], 'int32', [0, 0, 0, 0], None),
     ('sz', [2], 'int32', [1, 2], None), ('ax', [], 'int32', [3], None),
     ('shp', [4], 'int32', [1, 48, 64, 3], None), ('beg', [4], 'int32', [0, 1, 1, 0], None),
     ('siz', [4], 'int32', [-1, 8, 8, -1], None)]
nodes = [src, ratio, {'name': 'r1i', 'op': 'Placeholder', 'attr': {'dtype': {'type': 'DT_FLOAT'}}},
         const('dw', shape=[3, 3, 3, 1]), const('blk', 'DT_INT32', [2]), const('sp', 'DT_INT32', [2, 2]),
         const('cr', 'DT_INT32', [2, 2]), const('sz', 'DT_INT32', [2]), const('ax', 'DT_INT32'),
         const('shp', 'DT_INT32', [4]), const('beg', 'DT_INT32', [4]), const('siz', 'DT_INT32', [4]),
         node('s2b', 'SpaceToBatchND', ['src', 'blk', 'sp']),
         node('d', 'DepthwiseConv2dNative', ['s2b', 'dw'], strides=I([1, 1, 1, 1]), padding=S('VALID'), data_format=S('NHWC'), dilations=I([1, 1, 1, 1])),
         node('b2s', 'BatchToSpaceND', ['d', 'blk', 'cr']),
         node('st', 'BroadcastTo', ['r1i', 'shp']),
         node('add', 'AddV2', ['b2s', 'st']), node('sq', 'Square', ['add']), node('th', 'Tanh', ['sq']),
         node('spv', 'SplitV', ['th', 'sz', 'ax'], num_split={'i': '2'}),
         node('sl', 'Slice', ['spv:1', 'beg', 'siz']),
         node('pha', 'Relu', ['sl']), node('r1o', 'Identity', ['th'])]
seed(os.path.join(out, 'seed_dilated_state'), nodes, w, {'pha': 'pha:0', 'r1o': 'r1o:0'})
