// Machine probes for the bench: the FMA peak and the copy bandwidth, measured in the same
// run as the workloads so "% of peak" compares like with like. Both use every pool thread.
#pragma once

namespace convkit {

double probe_fma_gflops(double seconds);      // float32 GFLOP/s (an FMA counts 2)
double probe_copy_gbs(double mbytes, double seconds);  // (read + written) GB/s of memcpy

}  // namespace convkit
