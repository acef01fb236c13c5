// infogen._cpuinfo: what the CPU can run, so that infogen/_dispatch.py can import the best
// kernel module. Tiny and compiled for the architecture's baseline; it registers no types,
// so it can sit in one process with any of the _core modules.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "infogen/cpu_features.hpp"

namespace py = pybind11;

PYBIND11_MODULE(_cpuinfo, m) {
  m.doc() = "CPU feature detection for infogen's SIMD dispatch (private)";
  m.def(
      "features",
      []() {
        const infogen::CpuFeatures f = infogen::detect_cpu_features();
        py::dict flags;
        for (const auto& [name, on] : f.flags) flags[py::str(name)] = on;
        py::dict out;
        out["arch"] = f.arch;
        out["vendor"] = f.vendor;
        out["flags"] = flags;
        out["x86_level"] = f.x86_level;
        return out;
      },
      R"pbdoc(The CPU's architecture, vendor, usable features (CPU and OS) and x86-64 level.)pbdoc");
}
