// Raw random streams, exposed so the tests can check them against infogen.reference.random.
#include "infogen/random.hpp"
#include "pybind11.hpp"

namespace infogen::bindings {

void bind_random(py::module_& m) {
  m.def(
      "philox_u32",
      [](std::uint64_t seed, std::uint64_t stream, std::size_t n, std::size_t skip, bool bulk) {
        Philox rng(seed, stream);
        rng.discard(skip);
        py::array_t<std::uint32_t> out(static_cast<py::ssize_t>(n));
        std::uint32_t* o = out.mutable_data();
        {
          py::gil_scoped_release release;
          if (bulk) {
            rng.fill_u32(o, n);
          } else {
            for (std::size_t i = 0; i < n; ++i) o[i] = rng.next_u32();
          }
        }
        return out;
      },
      py::arg("seed"), py::arg("stream"), py::arg("n"), py::arg("skip") = 0, py::arg("bulk") = true,
      "n 32-bit draws of the Philox4x32-10 stream (seed, stream) after `skip` draws; bulk uses fill_u32.");
}

}  // namespace infogen::bindings
