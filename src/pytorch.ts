// wasmgrad/pytorch: hand a model to PyTorch and take it back. A subpath of its own, so the core bundle does not carry it.
export { toPyTorch, fromPyTorch, type PyTorchOptions } from './pytorch/export.js';
