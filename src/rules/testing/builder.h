// Test fixtures for the rules: an Interrogation builder (values placed in the lists and groups the
// idco mapper would put them in) and a store of generated interrogations on a real database
// (SQLite or PostgreSQL: store/testing/test_store.h).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include "domain/interrogation.h"
#include "rules/catalog.h"
#include "store/alerts.h"
#include "store/blobs.h"
#include "store/interrogations.h"
#include "store/migrations.h"
#include "store/patients.h"
#include "store/testing/temp_dir.h"
#include "store/testing/test_store.h"

namespace heartbase::rules::testing {

inline constexpr std::int64_t kDayUs = 86'400'000'000;
inline constexpr std::int64_t kHourUs = 3'600'000'000;
// 2025-01-01T00:00:00Z.
inline constexpr std::int64_t kEpochUs = 1'735'689'600'000'000;

inline base::DateTime DateTimeOf(std::int64_t unix_us) {
  const std::int64_t secs = unix_us / 1'000'000;
  const base::CivilDate d = base::CivilFromDays(secs / 86400);
  const std::int64_t s = secs % 86400;
  return {.year = static_cast<std::int32_t>(d.year),
          .month = static_cast<std::uint8_t>(d.month),
          .day = static_cast<std::uint8_t>(d.day),
          .hour = static_cast<std::uint8_t>(s / 3600),
          .minute = static_cast<std::uint8_t>(s / 60 % 60),
          .second = static_cast<std::uint8_t>(s % 60),
          .precision = base::Precision::kSecond,
          .offset_minutes = 0};
}

class InterrogationBuilder {
 public:
  explicit InterrogationBuilder(domain::DeviceType type = domain::DeviceType::kIcd,
                                std::string serial = "SN0001") {
    in_.sending_application = "TEST";
    in_.sending_facility = "LAB";
    in_.device.type = type;
    in_.device.manufacturer = "MDT";
    in_.device.serial = std::move(serial);
    in_.session_type = domain::SessionType::kRemoteScheduled;
    in_.status = domain::ResultStatus::kFinal;
  }

  InterrogationBuilder& At(std::int64_t unix_us) {
    in_.session_time = DateTimeOf(unix_us);
    in_.session_id = "S" + std::to_string(unix_us);
    in_.control_id = "C" + in_.device.serial + "-" + std::to_string(unix_us);
    return *this;
  }
  InterrogationBuilder& Session(domain::SessionType type) {
    in_.session_type = type;
    return *this;
  }

  InterrogationBuilder& Number(std::uint32_t code, double value, std::uint32_t instance = 0) {
    domain::Observation o = Base(code, instance);
    o.value.kind = domain::Value::Kind::kNumber;
    o.value.number = value;
    Place(std::move(o));
    return *this;
  }

  InterrogationBuilder& Coded(std::uint32_t code, std::string mnemonic, std::uint32_t enum_code = 0,
                              std::uint32_t instance = 0) {
    domain::Observation o = Base(code, instance);
    o.value.kind = domain::Value::Kind::kCoded;
    o.value.coded.mnemonic = std::move(mnemonic);
    o.value.coded.code = enum_code ? std::to_string(enum_code) : "";
    o.value.coded.enum_code = enum_code;
    Place(std::move(o));
    return *this;
  }

  // An episode counter group: type and recent count.
  InterrogationBuilder& Counter(std::uint32_t instance, std::string type, double recent) {
    Coded(term::kEpisodeType, std::move(type), 0, instance);
    return Number(term::kEpisodeRecentCount, recent, instance);
  }

  InterrogationBuilder& Episode(std::uint32_t instance, std::string type) {
    in_.episodes.push_back(
        {.instance = instance, .id = std::to_string(instance), .type = std::move(type)});
    return *this;
  }

  const domain::Interrogation& get() const { return in_; }
  domain::Interrogation Build() const { return in_; }

 private:
  domain::Observation Base(std::uint32_t code, std::uint32_t instance) {
    domain::Observation o;
    o.code = code;
    o.known_term = true;
    o.instance = instance;
    o.segment = ++segment_;
    if (code >= 737952 && code < 739000) {
      o.category = domain::Category::kEpisodeCounter;
    } else if (code >= 737000) {
      o.category = domain::Category::kStatistic;
    } else {
      o.category = domain::Category::kMeasurement;
    }
    return o;
  }

  void Place(domain::Observation o) {
    switch (o.category) {
      case domain::Category::kEpisodeCounter: {
        for (domain::Group& g : in_.episode_counters) {
          if (g.instance == o.instance) {
            g.observations.push_back(std::move(o));
            return;
          }
        }
        in_.episode_counters.push_back({.instance = o.instance, .observations = {std::move(o)}});
        return;
      }
      case domain::Category::kStatistic:
        in_.statistics.push_back(std::move(o));
        return;
      default:
        in_.measurements.push_back(std::move(o));
        return;
    }
  }

  domain::Interrogation in_;
  std::uint32_t segment_ = 0;
};

// A migrated database with a key ring, storing interrogations as ingest does.
class StoreFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::testing::OpenTestStore(dir_);
    ASSERT_TRUE(store) << store.error().Describe();
    db_ = std::move(store->db);
    migrations_ = store->migrations;
    auto v = store::Migrate(*db_, migrations_, false);
    ASSERT_TRUE(v) << v.error().Describe();
    auto keys = crypto::KeyRing::Generate();
    ASSERT_TRUE(keys);
    keys_ = std::make_unique<crypto::KeyRing>(std::move(*keys));
  }

  struct Stored {
    std::int64_t interrogation_id = 0;
    std::int64_t patient_id = 0;
  };

  // Stores `in` in `tx`, received at its session time.
  Stored Put(store::Transaction& tx, const domain::Interrogation& in) {
    const std::int64_t now = in.session_time->ToUnixMicros();
    auto raw = store::PutBlob(tx, *keys_, "hl7", in.control_id, now);
    EXPECT_TRUE(raw) << raw.error().Describe();
    auto match =
        store::MatchPatient(tx, *keys_, in, store::ClinicScope{.clinics = {1}, .any = true}, now);
    EXPECT_TRUE(match) << match.error().Describe();
    auto inserted = store::InsertInterrogation(tx, *keys_, in, *match, *raw, now);
    EXPECT_TRUE(inserted) << inserted.error().Describe();
    return {inserted->id, match->patient_id};
  }

  std::unique_ptr<store::Transaction> Begin(store::Access access) {
    auto tx = db_->Begin(access);
    EXPECT_TRUE(tx);
    return std::move(*tx);
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::Database> db_;
  std::span<const store::Migration> migrations_;
  std::unique_ptr<crypto::KeyRing> keys_;
};

}  // namespace heartbase::rules::testing
