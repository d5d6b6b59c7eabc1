//! Instruction counts (filled in below).
