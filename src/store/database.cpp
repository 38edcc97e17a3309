// Row accessors and the retrying unit of work.
#include "store/database.h"

#include <chrono>
#include <thread>

namespace heartbase::store {

std::int64_t Row::Int(std::size_t i) const {
  if (const auto* v = std::get_if<std::int64_t>(&columns_[i])) return *v;
  if (const auto* d = std::get_if<double>(&columns_[i])) return static_cast<std::int64_t>(*d);
  return 0;
}

double Row::Real(std::size_t i) const {
  if (const auto* v = std::get_if<double>(&columns_[i])) return *v;
  if (const auto* n = std::get_if<std::int64_t>(&columns_[i])) return static_cast<double>(*n);
  return 0;
}

std::string_view Row::Text(std::size_t i) const {
  if (const auto* v = std::get_if<std::string>(&columns_[i])) return *v;
  if (const auto* b = std::get_if<Bytes>(&columns_[i])) return b->data;
  return {};
}

std::string_view Row::Blob(std::size_t i) const {
  if (const auto* b = std::get_if<Bytes>(&columns_[i])) return b->data;
  if (const auto* v = std::get_if<std::string>(&columns_[i])) return *v;
  return {};
}

base::Status RunUnitOfWork(Database& db, Access access,
                           const std::function<base::Status(Transaction&)>& work,
                           const RetryOptions& options) {
  int backoff = options.first_backoff_ms;
  base::Status last;
  for (int attempt = 1; attempt <= options.max_attempts; ++attempt) {
    auto tx = db.Begin(access);
    if (!tx) {
      last = tx.error();
    } else {
      last = work(**tx);
      if (last) last = (*tx)->Commit();
      if (last) return last;
    }
    if (last.error().code != base::ErrorCode::kConflict) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff));
    backoff *= 2;
  }
  return last;
}

}  // namespace heartbase::store
