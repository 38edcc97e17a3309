// Random: xoshiro256** seeded by splitmix64, with integer-only helpers so that generated data is
// identical on every platform and standard library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace heartbase::demo::internal {

inline std::uint64_t SplitMix64(std::uint64_t* state) {
  std::uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A well-mixed 64-bit value from two inputs (sub-seeds, identifiers).
inline std::uint64_t Mix(std::uint64_t a, std::uint64_t b) {
  std::uint64_t s = a ^ (b * 0xD1B54A32D192ED03ull);
  SplitMix64(&s);
  return SplitMix64(&s);
}

// Not thread-safe; each generator owns its instance.
class Random {
 public:
  explicit Random(std::uint64_t seed) {
    for (std::uint64_t& word : s_) word = SplitMix64(&seed);
  }

  std::uint64_t Next() {
    const std::uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0], s_[3] ^= s_[1], s_[1] ^= s_[2], s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [lo, hi]; requires lo <= hi. (Modulo bias is below 2^-40 for our ranges.)
  std::int64_t Int(std::int64_t lo, std::int64_t hi) {
    const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
    return lo + static_cast<std::int64_t>(Next() % span);
  }
  int Int32(int lo, int hi) { return static_cast<int>(Int(lo, hi)); }
  // Uniform in [value - spread, value + spread].
  int Jitter(int value, int spread) { return Int32(value - spread, value + spread); }
  bool Percent(int p) { return Int(0, 99) < p; }

  template <typename T>
  const T& Pick(std::span<const T> items) {
    return items[static_cast<std::size_t>(Next() % items.size())];
  }

 private:
  static std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace heartbase::demo::internal
