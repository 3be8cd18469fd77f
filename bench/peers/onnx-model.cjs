'use strict';
// A minimal protobuf encoder for ONNX models: just the messages a small graph needs.
// Field numbers from onnx/onnx.proto (proto2):
//   ModelProto:        ir_version 1, producer_name 2, producer_version 3, graph 7, opset_import 8
//   OperatorSetIdProto: domain 1, version 2
//   GraphProto:        node 1, name 2, initializer 5, input 11, output 12
//   NodeProto:         input 1, output 2, name 3, op_type 4, attribute 5, domain 7
//   AttributeProto:    name 1, f 2, i 3, s 4, ints 8, type 20
//                      (AttributeType FLOAT 1, INT 2, STRING 3, INTS 7)
//   TensorProto:       dims 1, data_type 2, name 8, raw_data 9 (DataType FLOAT 1, INT64 7)
//   ValueInfoProto:    name 1, type 2
//   TypeProto:         tensor_type 1;  TypeProto.Tensor: elem_type 1, shape 2
//   TensorShapeProto:  dim 1;  Dimension: dim_value 1
// Repeated scalars are written unpacked (the proto2 default; parsers accept both).

const FLOAT = 1;
const INT64 = 7;
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 };

function varint(v) {
  let n = BigInt.asUintN(64, BigInt(v)); // negative int64 -> 10-byte two's complement
  const out = [];
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return Buffer.from(out);
}

const key = (field, wire) => varint((field << 3) | wire);
const fVarint = (field, v) => Buffer.concat([key(field, 0), varint(v)]);
const fBytes = (field, buf) => Buffer.concat([key(field, 2), varint(buf.length), buf]);
const fString = (field, s) => fBytes(field, Buffer.from(s, 'utf8'));
const fFloat = (field, f) => {
  const b = Buffer.alloc(4);
  b.writeFloatLE(f, 0);
  return Buffer.concat([key(field, 5), b]);
};
const msg = (...parts) => Buffer.concat(parts.flat().filter(Boolean));

// --- messages ---
function attrInt(name, i) {
  return msg(fString(1, name), fVarint(20, ATTR.INT), fVarint(3, i));
}
function attrInts(name, ints) {
  return msg(fString(1, name), fVarint(20, ATTR.INTS), ints.map((i) => fVarint(8, i)));
}
function attrFloat(name, f) {
  return msg(fString(1, name), fVarint(20, ATTR.FLOAT), fFloat(2, f));
}
function attrString(name, s) {
  return msg(fString(1, name), fVarint(20, ATTR.STRING), fString(4, s));
}

function tensor(name, dims, dataType, values) {
  let raw;
  if (dataType === FLOAT) {
    const f = values instanceof Float32Array ? values : Float32Array.from(values);
    raw = Buffer.from(f.buffer, f.byteOffset, f.byteLength);
  } else if (dataType === INT64) {
    const a = BigInt64Array.from(values.map((v) => BigInt(v)));
    raw = Buffer.from(a.buffer);
  } else {
    throw new Error(`tensor ${name}: unsupported data type ${dataType}`);
  }
  return msg(dims.map((d) => fVarint(1, d)), fVarint(2, dataType), fString(8, name), fBytes(9, raw));
}

function valueInfo(name, elemType, dims) {
  const shape = dims ? fBytes(2, msg(dims.map((d) => fBytes(1, fVarint(1, d))))) : null;
  const tensorType = msg(fVarint(1, elemType), shape);
  return msg(fString(1, name), fBytes(2, fBytes(1, tensorType)));
}

function node(opType, inputs, outputs, attrs = [], name = opType) {
  return msg(
    inputs.map((s) => fString(1, s)),
    outputs.map((s) => fString(2, s)),
    fString(3, name),
    fString(4, opType),
    attrs.map((a) => fBytes(5, a)),
  );
}

function graph(name, nodes, initializers, inputs, outputs) {
  return msg(
    nodes.map((n) => fBytes(1, n)),
    fString(2, name),
    initializers.map((t) => fBytes(5, t)),
    inputs.map((v) => fBytes(11, v)),
    outputs.map((v) => fBytes(12, v)),
  );
}

function model(g, { irVersion = 8, opset = 17 } = {}) {
  const opsetImport = msg(fString(1, ''), fVarint(2, opset));
  return new Uint8Array(msg(
    fVarint(1, irVersion),
    fString(2, 'convkit-bench'),
    fString(3, '1'),
    fBytes(7, g),
    fBytes(8, opsetImport),
  ));
}

module.exports = { FLOAT, INT64, attrInt, attrInts, attrFloat, attrString, tensor, valueInfo, node, graph, model };
