// The product of a 0/1 matrix with a dense one through its support, exposed so the tests
// can check it against NumPy on awkward shapes (the RBM training kernel uses it inside).
#include <string>

#include "infogen/binary_matmul.hpp"
#include "pybind11.hpp"

namespace infogen::bindings {
namespace {

template <class T>
void bind_dtype(py::module_& m) {
  m.def(
      (std::string("binary_matmul") + dtype_suffix<T>()).c_str(),
      [](const CArray<T>& S, const CArray<T>& A, std::optional<CArray<T>> bias) -> py::object {
        auto [rows, inner] = shape2d(S, "S");
        auto [a_rows, cols] = shape2d(A, "A");
        if (a_rows != inner) {
          throw py::value_error("A must have " + std::to_string(inner) + " rows (S's columns), got " +
                                std::to_string(a_rows));
        }
        if (bias && (bias->ndim() != 1 || bias->shape(0) != cols)) {
          throw py::value_error("bias must have shape (" + std::to_string(cols) + ",)");
        }
        BinarySupport support;
        CArray<T> out({py::ssize_t(rows), py::ssize_t(cols)});
        bool binary;
        {
          py::gil_scoped_release release;
          binary = binary_support(S.data(), rows, inner, inner, support);
          if (binary) {
            binary_matmul_rows<T>(support, 0, rows, A.data(), cols, cols, bias ? bias->data() : nullptr,
                                  out.mutable_data(), cols);
          }
        }
        if (!binary) return py::none();
        return std::move(out);
      },
      py::arg("S"), py::arg("A"), py::arg("bias") = py::none(),
      "S @ A + bias for a 0/1 matrix S, as sums of A's rows; None when S is not 0/1.");
}

}  // namespace

void bind_binary_matmul(py::module_& m) {
  bind_dtype<float>(m);
  bind_dtype<double>(m);
}

}  // namespace infogen::bindings
