// ResultDelivery: results out to the hospital's EHR (issue 19). One thread per configured
// destination works its queue (store/results.h) in order: builds the signed result's HL7 message
// (report::BuildResultMessage; the signed report is rendered first if the renderer has not stored
// it yet), sends it over MLLP (net::MllpClient: TLS with the receiver's certificate verified, or
// plaintext to loopback), and reads the ACK: AA/CA → sent; AE/CE, a timeout, a broken connection
// or an ACK naming another message → again after an exponential backoff, keeping its MSH-10; AR/CR,
// no identifier of the destination's authority, or the attempts used up → dead, on the work list
// with the receiver's text. A destination that never answers holds only its own queue.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "crypto/key_ring.h"
#include "net/mllp_client.h"
#include "report/hl7_result.h"
#include "report/service.h"
#include "store/database.h"

namespace heartbase::ehr {

struct Destination {
  report::ResultDestination message;
  net::MllpClientOptions connection;
  int max_attempts = 10;
  std::chrono::milliseconds first_backoff{5'000};  // doubles after each failed attempt
  std::chrono::milliseconds max_backoff{10 * 60'000};
};

// "name=epic,host=10.1.2.3,port=2576,authority=HOSP[,type=oru|mdm][,pv1=1][,ca=FILE]
// [,server-name=NAME][,cert=FILE,key=FILE][,receiving-app=APP][,receiving-facility=FAC]
// [,sending-facility=FAC][,attempts=N][,backoff-ms=MS][,ack-timeout-ms=MS]": one destination of
// `serve --ehr-destination`. TLS unless the host is a loopback address (then plaintext unless ca=
// is given). kInvalidArgument naming the key.
base::Result<Destination> ParseDestination(std::string_view spec);

// What ResultDelivery reports (the admin page, tests).
struct DeliveryCounts {
  std::int64_t sent = 0, retried = 0, dead = 0;
};

class ResultDelivery {
 public:
  // Starts one thread per destination. `reports` renders a signed report that is not stored yet.
  ResultDelivery(store::Database& db, const crypto::KeyRing& keys, report::ReportServices reports,
                 std::vector<Destination> destinations);
  ~ResultDelivery();  // stops and joins (a send in progress ends at its timeout)
  ResultDelivery(const ResultDelivery&) = delete;
  ResultDelivery& operator=(const ResultDelivery&) = delete;

  // Wakes the workers: results were queued (a sign-off, a resend).
  void Poke();
  DeliveryCounts counts() const;
  std::vector<std::string> names() const;

 private:
  struct Worker;
  void Run(Worker& worker);
  // One attempt at the destination's next due result; false when there was none.
  bool DeliverNext(Worker& worker);

  store::Database& db_;
  const crypto::KeyRing& keys_;
  report::ReportServices reports_;
  std::vector<std::unique_ptr<Worker>> workers_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::uint64_t generation_ = 0;
  bool stopping_ = false;
  DeliveryCounts counts_;
};

}  // namespace heartbase::ehr
