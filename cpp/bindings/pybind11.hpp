// The one prelude of every binding file: pybind11 with NumPy and STL support.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace py = pybind11;

namespace infogen::bindings {

/// A C-contiguous array of T. Bind every such argument with `.noconvert()`: the Python
/// layer has already chosen the dtype and layout, so a mismatch is a bug that must fail
/// loudly (TypeError) instead of being copied silently.
template <class T>
using CArray = py::array_t<T, py::array::c_style>;

/// Rows and columns of a 2-D array, or a ValueError naming the argument.
template <class T>
std::pair<std::int64_t, std::int64_t> shape2d(const CArray<T>& a, const char* name) {
  if (a.ndim() != 2) {
    throw py::value_error(std::string(name) + " must be 2-D, got " + std::to_string(a.ndim()) + "-D");
  }
  return {static_cast<std::int64_t>(a.shape(0)), static_cast<std::int64_t>(a.shape(1))};
}

/// Require `b` to have the same 2-D shape as `a`.
template <class T>
void same_shape(const CArray<T>& a, const CArray<T>& b, const char* name_a, const char* name_b) {
  if (shape2d(a, name_a) != shape2d(b, name_b)) {
    throw py::value_error(std::string(name_a) + " and " + name_b + " must have the same shape");
  }
}

/// Suffix of the per-dtype entry points (`entropy_f32`, `entropy_f64`).
template <class T>
constexpr const char* dtype_suffix() {
  return sizeof(T) == 4 ? "_f32" : "_f64";
}

/// Hand a vector to NumPy without copying (the array owns it through a capsule).
template <class T, class A>
py::array_t<T> to_numpy(std::vector<T, A>&& v, std::vector<py::ssize_t> shape = {}) {
  using Vec = std::vector<T, A>;
  auto* heap = new Vec(std::move(v));
  py::capsule owner(heap, [](void* p) { delete static_cast<Vec*>(p); });
  if (shape.empty()) shape = {static_cast<py::ssize_t>(heap->size())};
  return py::array_t<T>(shape, heap->data(), owner);
}

void bind_info(py::module_& m);
void bind_ngram(py::module_& m);
void bind_ngram_external(py::module_& m);
void bind_ngram_model(py::module_& m);
void bind_ngram_stream(py::module_& m);
void bind_random(py::module_& m);
void bind_binary_matmul(py::module_& m);
void bind_rbm(py::module_& m);
void bind_vae(py::module_& m);

}  // namespace infogen::bindings
