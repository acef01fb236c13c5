// The extension module: build information, then one bind_<topic>() per topic.
#include "pybind11.hpp"

#include <Eigen/Core>
#include <string>

#include "infogen/common.hpp"
#include "infogen/fastlog.hpp"
#include "infogen/simd_tile.hpp"

#ifndef INFOGEN_VERSION
#define INFOGEN_VERSION "unknown"
#endif
// The module's file name: _core (one native or default build), or _core_v4, _core_v3 and
// _core_baseline (one per SIMD level, see CMakeLists.txt); infogen imports one as _core.
#ifndef INFOGEN_MODULE_NAME
#define INFOGEN_MODULE_NAME _core
#endif
#ifndef INFOGEN_LEVEL
#define INFOGEN_LEVEL "default"
#endif
#define INFOGEN_STR2(x) #x
#define INFOGEN_STR(x) INFOGEN_STR2(x)

namespace {

// The code path each kernel family takes in this module. The paths are chosen when the
// module is compiled (by its level's flags); the choice between modules is made at import.
py::dict kernel_paths() {
#if defined(EIGEN_VECTORIZE_AVX512)
  const std::string eigen = "Eigen AVX-512";
#elif defined(EIGEN_VECTORIZE_AVX2) && defined(EIGEN_VECTORIZE_FMA)
  const std::string eigen = "Eigen AVX2+FMA";
#elif defined(EIGEN_VECTORIZE_AVX)
  const std::string eigen = "Eigen AVX";
#elif defined(EIGEN_VECTORIZE_SSE4_2)
  const std::string eigen = "Eigen SSE4.2";
#elif defined(EIGEN_VECTORIZE_SSE2)
  const std::string eigen = "Eigen SSE2";
#elif defined(EIGEN_VECTORIZE_NEON)
  const std::string eigen = "Eigen NEON";
#elif defined(EIGEN_VECTORIZE)
  const std::string eigen = "Eigen vectorised";
#else
  const std::string eigen = "Eigen scalar";
#endif
#if defined(INFOGEN_FASTLOG_AVX512)
  const std::string vlog = "vector log AVX-512";
#elif defined(INFOGEN_FASTLOG_AVX2)
  const std::string vlog = "vector log AVX2+FMA";
#else
  const std::string vlog = "scalar log";
#endif
#if defined(__AVX512F__)
  const std::string philox = "Philox AVX-512";
#elif defined(__AVX2__)
  const std::string philox = "Philox AVX2";
#else
  const std::string philox = "Philox scalar";
#endif
#if defined(__AVX512BW__) && defined(__BMI2__)
  const std::string scan = "token scan AVX-512BW";
#else
  const std::string scan = "token scan bytewise";
#endif
#if defined(__AVX512F__)
  const std::string sigmoid = "sigmoid AVX-512";
#else
  const std::string sigmoid = "sigmoid Eigen";
#endif
#if defined(__AVX512F__) && defined(__AVX512VL__)
  const std::string support = "binary support scan AVX-512";
#else
  const std::string support = "binary support scan scalar";
#endif
#if defined(INFOGEN_HAS_SIMD_TILE)
  const std::string tiles = "weight tiles AVX-512";
#else
  const std::string tiles = "weight tiles scalar";
#endif
  py::dict k;
  k["info"] = vlog + "; " + eigen;
  k["ngram"] = scan;
  k["rbm"] = sigmoid + ", " + support + ", " + tiles + ", " + philox + "; " + eigen;
  k["vae"] = philox + "; " + eigen;
  return k;
}

}  // namespace

PYBIND11_MODULE(INFOGEN_MODULE_NAME, m) {
  m.doc() = "infogen's C++ core (private: use the infogen package's public API)";
  // Every level's module is imported as infogen._core: name its functions and classes so.
  m.attr("__name__") = "infogen._core";
  m.attr("__module_file__") = INFOGEN_STR(INFOGEN_MODULE_NAME);
  m.attr("__version__") = INFOGEN_VERSION;
  m.attr("has_openmp") = infogen::has_openmp();
  py::dict build;
  build["version"] = INFOGEN_VERSION;
  build["build_type"] = INFOGEN_BUILD_TYPE;
  build["compiler"] = INFOGEN_COMPILER;
  build["march_native"] = static_cast<bool>(INFOGEN_NATIVE_FLAG);
  build["openmp"] = infogen::has_openmp();
  build["module"] = INFOGEN_STR(INFOGEN_MODULE_NAME);
  build["level"] = INFOGEN_LEVEL;
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
  build["kernels"] = kernel_paths();
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
