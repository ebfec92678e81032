// wasmgrad/onnx: export a model to ONNX. A subpath of its own, so the core bundle does not carry it.
export { toOnnx, type OnnxOptions } from './onnx/export.js';
