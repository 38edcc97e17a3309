// Key check files: comparison, fingerprints and the text format.
#include "crypto/key_check.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "base/base64.h"
#include "crypto/internal/secret_file.h"

namespace heartbase::crypto {
namespace {

using base::ErrorCode;
using base::MakeError;

constexpr std::string_view kHeader = "heartbase-key-check 1";
constexpr std::size_t kMaxFile = 64 * 1024;

std::string ValueText(const KeyCheck::Value& v) {
  std::string out;
  base::AppendBase64Encoded(std::string_view(reinterpret_cast<const char*>(v.data()), v.size()),
                            &out);
  return out;
}

bool ValueFromText(std::string_view text, KeyCheck::Value* v) {
  std::string raw;
  if (!base::AppendBase64Decoded(text, &raw) || raw.size() != v->size()) return false;
  std::copy(raw.begin(), raw.end(), v->begin());
  return true;
}

}  // namespace

std::string Fingerprint(const KeyCheck& check) {
  crypto_generichash_state state;
  std::array<unsigned char, 8> out{};
  crypto_generichash_init(&state, nullptr, 0, out.size());
  constexpr std::string_view kLabel = "hb-ring-fingerprint-1";
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(kLabel.data()),
                            kLabel.size());
  crypto_generichash_update(&state, check.index.data(), check.index.size());
  for (const auto& [id, value] : check.data) {
    const unsigned char le[4] = {
        static_cast<unsigned char>(id), static_cast<unsigned char>(id >> 8),
        static_cast<unsigned char>(id >> 16), static_cast<unsigned char>(id >> 24)};
    crypto_generichash_update(&state, le, sizeof le);
    crypto_generichash_update(&state, value.data(), value.size());
  }
  crypto_generichash_final(&state, out.data(), out.size());
  return fmt::format("{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}", out[0], out[1], out[2],
                     out[3], out[4], out[5], out[6], out[7]);
}

base::Status VerifyKeyCheck(const KeyCheck& recorded, const KeyCheck& ring) {
  std::string why;
  if (ring.index != recorded.index) {
    why = "its index key differs";
  } else {
    for (const auto& [id, value] : recorded.data) {
      const auto it = std::find_if(ring.data.begin(), ring.data.end(),
                                   [id = id](const auto& k) { return k.first == id; });
      if (it == ring.data.end()) {
        why = fmt::format("it lacks data key {}", id);
        break;
      }
      if (it->second != value) {
        why = fmt::format("its data key {} differs", id);
        break;
      }
    }
  }
  if (why.empty()) return {};
  return MakeError(ErrorCode::kInvalidArgument,
                   fmt::format("key ring {} is not this data directory's key ring {} ({})",
                               Fingerprint(ring), Fingerprint(recorded), why));
}

std::string FormatKeyCheck(const KeyCheck& check) {
  std::string text = std::string(kHeader) + "\n";
  text += "# Check values of the key ring that belongs to this data directory (no key material).\n";
  text += "# heartbase refuses any other key ring. Fingerprint " + Fingerprint(check) + ".\n";
  text += "index " + ValueText(check.index) + "\n";
  for (const auto& [id, value] : check.data) {
    text += fmt::format("data-key {} {}\n", id, ValueText(value));
  }
  return text;
}

base::Result<KeyCheck> ParseKeyCheck(std::string_view text) {
  KeyCheck check;
  bool header = false, index = false;
  std::istringstream in{std::string(text)};
  std::string line;
  int n = 0;
  auto bad = [&](std::string_view why) {
    return MakeError(ErrorCode::kMalformed, fmt::format("key check line {}: {}", n, why));
  };
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string word, value;
    words >> word;
    if (!header) {
      if (line != kHeader) return bad("not a heartbase key check");
      header = true;
    } else if (word == "index") {
      if (index || !(words >> value) || !ValueFromText(value, &check.index)) {
        return bad("index must be: index <16 base64 bytes>, once");
      }
      index = true;
    } else if (word == "data-key") {
      std::uint32_t id = 0;
      KeyCheck::Value v{};
      // Ascending ids, as KeyRing::Check writes them, so that a fingerprint has one form.
      if (!(words >> id >> value) || id == 0 || !ValueFromText(value, &v) ||
          (!check.data.empty() && check.data.back().first >= id)) {
        return bad("data key must be: data-key <ascending id> <16 base64 bytes>");
      }
      check.data.emplace_back(id, v);
    } else {
      return bad("unknown entry");
    }
  }
  if (!header || !index || check.data.empty()) {
    return MakeError(ErrorCode::kMalformed, "key check is incomplete (needs index, data-key)");
  }
  return check;
}

base::Result<std::optional<KeyCheck>> LoadKeyCheck(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::symlink_status(path, ec))) {
    return std::optional<KeyCheck>();
  }
  auto text = internal::ReadSecretFile(path, "key check file", kMaxFile);
  if (!text) return text.error();
  auto check = ParseKeyCheck(*text);
  if (!check) {
    base::Error e = check.error();
    e.message = fmt::format("{}: {}", path, e.message);
    return e;
  }
  return std::optional<KeyCheck>(std::move(*check));
}

base::Status SaveKeyCheck(const std::string& path, const KeyCheck& check) {
  return internal::WriteSecretFile(path, FormatKeyCheck(check));
}

}  // namespace heartbase::crypto
