// CPU features, read once; CONVKIT_ISA caps the choice so every path is testable here.
#pragma once

namespace convkit {

enum class Isa : int { kScalar = 0, kSse41 = 1, kAvx2 = 2, kAvx512f = 3, kNeon = 4 };

const char* isa_name(Isa isa);
Isa detected_isa();  // best the CPU supports
Isa active_isa();    // detected, capped by CONVKIT_ISA

}  // namespace convkit
