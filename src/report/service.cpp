#include "report/service.h"

#include <fmt/format.h>

#include <chrono>
#include <utility>

#include "base/log.h"
#include "store/clinical_reads.h"

namespace heartbase::report {

base::Result<Produced> RenderSealed(const ReportServices& services, std::int64_t interrogation_id,
                                    const ProduceOptions& options) {
  Prepared prepared;
  {
    auto tx = services.db.Begin(store::Access::kRead);
    if (!tx) return tx.error();
    auto p = Prepare(**tx, services.keys, interrogation_id, services.parse,
                     {.mapping_version = services.mapping_version,
                      .now_us = options.now_us,
                      .attachment_bytes = options.append_attachments});
    if (!p) return p.error();
    prepared = std::move(*p);
  }
  const bool draft = prepared.model.draft();
  PageSize page = ParsePageSize(prepared.page_size).value_or(PageSize::kA4);
  if (draft && options.page_size) page = *options.page_size;
  prepared.record.page_size = std::string(ToString(page));
  auto pdf = RenderPdf(prepared.model, {.page_size = page,
                                        .append_attachments = draft && options.append_attachments});
  if (!pdf) return pdf.error();
  auto sealed = SealPdf(*pdf, prepared.record, services.signing_key);
  if (!sealed) return sealed.error();
  return Produced{.pdf = std::move(*sealed),
                  .draft = draft,
                  .page_size = std::string(ToString(page)),
                  .patient_id = prepared.patient_id,
                  .clinic_id = prepared.clinic_id};
}

base::Result<Produced> Produce(const ReportServices& services, std::int64_t interrogation_id,
                               const ProduceOptions& options) {
  auto stored_pdf = [&](const store::ReportRow& row) -> base::Result<Produced> {
    auto tx = services.db.Begin(store::Access::kRead);
    if (!tx) return tx.error();
    auto pdf = store::ReadReportPdf(**tx, services.keys, row);
    if (!pdf) return pdf.error();
    auto i = store::GetInterrogation(**tx, interrogation_id);
    if (!i) return i.error();
    return Produced{.pdf = std::move(*pdf),
                    .draft = false,
                    .page_size = row.page_size,
                    .stored = row,
                    .patient_id = i->patient_id,
                    .clinic_id = i->clinic_id};
  };
  {
    auto tx = services.db.Begin(store::Access::kRead);
    if (!tx) return tx.error();
    auto existing = store::FindSignedReport(**tx, interrogation_id);
    if (!existing) return existing.error();
    if (*existing) {
      tx->reset();
      return stored_pdf(**existing);
    }
  }
  auto produced = RenderSealed(services, interrogation_id, options);
  if (!produced || produced->draft) return produced;
  // Signed: store it once. Another thread may have stored it meanwhile; then that one is the
  // report, and this rendering is dropped.
  std::optional<store::ReportRow> row;
  bool raced = false;
  auto status = services.write([&](store::Transaction& tx) -> base::Status {
    auto inserted = store::InsertSignedReport(
        tx, services.keys, interrogation_id, produced->pdf, produced->page_size,
        services.signing_key.public_key().Fingerprint(), options.now_us);
    if (!inserted) {
      // The unit ends with the error (nothing of it is kept: PostgreSQL aborts a transaction at
      // a refused statement), and the report stored first is read below.
      raced = inserted.error().code == base::ErrorCode::kAlreadyExists;
      return inserted.error();
    }
    row = std::move(*inserted);
    return {};
  });
  if (!status && !raced) return status.error();
  if (raced) {
    auto tx = services.db.Begin(store::Access::kRead);
    if (!tx) return tx.error();
    auto existing = store::FindSignedReport(**tx, interrogation_id);
    if (!existing) return existing.error();
    if (!*existing) return base::MakeError(base::ErrorCode::kInternal, "report vanished");
    tx->reset();
    return stored_pdf(**existing);
  }
  produced->stored = std::move(row);
  return produced;
}

Renderer::Renderer(ReportServices services)
    : services_(std::move(services)), thread_([this] { Run(); }) {}

Renderer::~Renderer() {
  {
    std::lock_guard<std::mutex> g(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Renderer::Poke() {
  {
    std::lock_guard<std::mutex> g(mutex_);
    poked_ = true;
  }
  wake_.notify_all();
}

std::int64_t Renderer::stored() const {
  std::lock_guard<std::mutex> g(mutex_);
  return stored_;
}

std::int64_t Renderer::failures() const {
  std::lock_guard<std::mutex> g(mutex_);
  return failures_;
}

void Renderer::Run() {
  // Failed interrogations are not retried until the next poke or a minute has passed, so that one
  // that cannot be rendered does not spin.
  constexpr auto kRetry = std::chrono::minutes(1);
  for (;;) {
    {
      std::unique_lock<std::mutex> g(mutex_);
      wake_.wait_for(g, kRetry, [this] { return poked_ || stopping_; });
      if (stopping_) return;
      poked_ = false;
    }
    std::vector<std::int64_t> pending;
    {
      auto tx = services_.db.Begin(store::Access::kRead);
      if (!tx) continue;
      auto ids = store::ListSignedWithoutReport(**tx, 64);
      if (!ids) continue;
      pending = std::move(*ids);
    }
    for (std::int64_t id : pending) {
      {
        std::lock_guard<std::mutex> g(mutex_);
        if (stopping_) return;
      }
      const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      auto produced = Produce(services_, id, {.now_us = now});
      std::lock_guard<std::mutex> g(mutex_);
      if (produced) {
        ++stored_;
      } else {
        ++failures_;
        // The interrogation id and the error code only: messages may name values.
        base::log::Warn(
            "report.render_failed",
            {{"interrogation", id}, {"error", base::ErrorCodeName(produced.error().code)}});
      }
    }
    if (pending.size() == 64) Poke();  // more may wait
  }
}

}  // namespace heartbase::report
