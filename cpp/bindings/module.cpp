// The extension module: build information, then one bind_<topic>() per topic.
#include "pybind11.hpp"

#include "infogen/common.hpp"

#ifndef INFOGEN_VERSION
#define INFOGEN_VERSION "unknown"
#endif

PYBIND11_MODULE(_core, m) {
  m.doc() = "infogen's C++ core (private: use the infogen package's public API)";
  m.attr("__version__") = INFOGEN_VERSION;
  m.attr("has_openmp") = infogen::has_openmp();
  py::dict build;
  build["version"] = INFOGEN_VERSION;
  build["build_type"] = INFOGEN_BUILD_TYPE;
  build["compiler"] = INFOGEN_COMPILER;
  build["march_native"] = static_cast<bool>(INFOGEN_NATIVE_FLAG);
  build["openmp"] = infogen::has_openmp();
#ifdef __AVX512F__
  build["simd"] = "AVX-512";
#elif defined(__AVX2__)
  build["simd"] = "AVX2";
#elif defined(__SSE4_2__)
  build["simd"] = "SSE4.2";
#elif defined(__ARM_NEON)
  build["simd"] = "NEON";
#else
  build["simd"] = "baseline";
#endif
  m.attr("build_info") = build;
  m.def("default_threads", &infogen::default_threads,
        R"pbdoc(Number of threads OpenMP uses by default (1 without OpenMP).)pbdoc");
  infogen::bindings::bind_info(m);
  infogen::bindings::bind_ngram(m);
  infogen::bindings::bind_ngram_external(m);
  infogen::bindings::bind_ngram_model(m);
  infogen::bindings::bind_ngram_stream(m);
  infogen::bindings::bind_random(m);
  infogen::bindings::bind_binary_matmul(m);
  infogen::bindings::bind_rbm(m);
  infogen::bindings::bind_vae(m);
}
