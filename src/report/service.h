// Producing reports: read (a read transaction), render and seal (no transaction held), and for a
// signed interrogation store the result once (a short write). Renderer: serve's background thread
// that produces the signed report of every interrogation signed off, so that it exists for
// sending and for the EHR without anyone opening it, and never on the API's event loop or in
// ingest's transactions.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "crypto/signing_key.h"
#include "report/build.h"
#include "report/render.h"
#include "store/database.h"
#include "store/reports.h"

namespace heartbase::report {

// Runs one unit of work in a write transaction and commits it (serve: its GroupCommit; the
// command line: a transaction of its own).
using WriteWork =
    std::function<base::Status(const std::function<base::Status(store::Transaction&)>&)>;

struct ReportServices {
  store::Database& db;
  const crypto::KeyRing& keys;
  const crypto::SigningKey& signing_key;
  ParseStored parse;
  std::string mapping_version;
  WriteWork write;
};

struct Produced {
  std::string pdf;
  bool draft = true;
  std::string page_size;                   // "a4", "letter"
  std::optional<store::ReportRow> stored;  // the signed report as stored
  std::int64_t patient_id = 0;
  std::int64_t clinic_id = 0;
};

struct ProduceOptions {
  // A draft's paper size; nullopt = the clinic's. A signed report always uses the clinic's.
  std::optional<PageSize> page_size;
  bool append_attachments = false;  // drafts only: the stored signed report is the canonical one
  std::int64_t now_us = 0;
};

// The interrogation's report: for a signed one, the stored report (rendered, sealed and stored
// first if it has none yet; never replaced); for an unsigned one, a sealed draft that is not
// stored. kNotFound if there is no such interrogation.
base::Result<Produced> Produce(const ReportServices& services, std::int64_t interrogation_id,
                               const ProduceOptions& options);

// A draft or signed report rendered and sealed now, without looking for or storing a stored
// one (the command line's --out of a draft, the benchmark).
base::Result<Produced> RenderSealed(const ReportServices& services, std::int64_t interrogation_id,
                                    const ProduceOptions& options);

class Renderer {
 public:
  // Starts the thread; it first catches up with signed interrogations that have no report.
  explicit Renderer(ReportServices services);
  ~Renderer();  // stops and joins
  Renderer(const Renderer&) = delete;
  Renderer& operator=(const Renderer&) = delete;

  // Wakes the thread: an interrogation was signed off.
  void Poke();
  // Reports stored and failures since start (for the admin page and the tests).
  std::int64_t stored() const;
  std::int64_t failures() const;

 private:
  void Run();

  ReportServices services_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool poked_ = true;
  bool stopping_ = false;
  std::int64_t stored_ = 0;
  std::int64_t failures_ = 0;
  std::thread thread_;
};

}  // namespace heartbase::report
