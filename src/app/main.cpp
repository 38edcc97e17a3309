// heartbase: one binary, subcommands (shared/design/architecture.md, "One binary, a few
// processes").
#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/commands.h"

namespace {

int Run(int argc, char** argv) {
  using namespace heartbase::app;
  CLI::App app{"heartbase — an open, secure device-clinic server for cardiac implantable devices"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "heartbase 0.1.0");

  ParseCommand hl7_parse;
  auto* hl7 = app.add_subcommand("hl7", "HL7 v2 tools");
  hl7->require_subcommand(1);
  auto* hl7_p = hl7->add_subcommand(
      "parse",
      "Print each message's structure as JSON Lines (segments, fields, repetitions, "
      "components, sub-components, unescaped)");
  hl7_p
      ->add_option("files", hl7_parse.files, "HL7 files (single messages, batches, concatenations)")
      ->required();
  hl7_p->add_flag("--summary", hl7_parse.summary, "One short text line per message");
  hl7_p->add_option("--max-file-bytes", hl7_parse.max_file_bytes, "Refuse larger files");

  ParseCommand idco_parse;
  auto* idco = app.add_subcommand("idco", "IHE IDCO tools");
  idco->require_subcommand(1);
  auto* idco_p = idco->add_subcommand(
      "parse", "Print each message's normalized interrogation as JSON Lines (docs/idco-json.md)");
  idco_p->add_option("files", idco_parse.files, "HL7 files")->required();
  idco_p->add_flag("--summary", idco_parse.summary, "One short text line per message");
  idco_p->add_option("--attachments", idco_parse.attachments_dir,
                     "Also write each decoded attachment (PDF, EGM) to this directory");
  idco_p->add_option("--max-file-bytes", idco_parse.max_file_bytes, "Refuse larger files");

  DemoDataCommand demo;
  auto* demo_cmd = app.add_subcommand("demo-data", "Synthetic clinic data");
  demo_cmd->require_subcommand(1);
  auto* gen = demo_cmd->add_subcommand(
      "generate", "Write deterministic synthetic IDCO messages for all manufacturers and devices");
  gen->add_option("--patients", demo.patients, "Number of patients")->capture_default_str();
  gen->add_option("--years", demo.years, "Years of follow-up history")->capture_default_str();
  gen->add_option("--seed", demo.seed, "Random seed")->capture_default_str();
  gen->add_flag("--pdf", demo.pdf, "Attach generated PDF reports and EGM strips");
  gen->add_option("--out", demo.out, "Output directory")->required();
  gen->add_flag("--bench", demo.bench, "Fixed-shape benchmark corpus instead of a clinic");
  gen->add_option("--count", demo.count, "--bench: number of messages")->capture_default_str();
  gen->add_option("--obx", demo.obx, "--bench: OBX segments per message")->capture_default_str();
  gen->add_option("--pdf-kb", demo.pdf_kb, "--bench: size of an ED PDF per message (0 = none)")
      ->capture_default_str();

  InitCommand init;
  auto* init_cmd = app.add_subcommand(
      "init", "Create a data directory: encrypted database and key file (mode 0400)");
  init_cmd->add_option("--data", init.data, "Data directory")->required();
  init_cmd->add_option("--key-file", init.key_file, "Key file (default DATA/keyring)");

  ImportCommand import;
  auto* import_cmd = app.add_subcommand(
      "import", "Import HL7 files or folders (recursive): single messages, batches, MLLP streams");
  import_cmd->add_option("--data", import.data, "Data directory")->required();
  import_cmd->add_option("--key-file", import.key_file, "Key file (default DATA/keyring)");
  import_cmd->add_option("paths", import.paths, "Files or folders")->required();
  import_cmd->add_option("--max-file-bytes", import.max_file_bytes, "Refuse larger files");

  ServeCommand serve;
  auto* serve_cmd = app.add_subcommand("serve", "Run the server: MLLP ingest (HTTPS to come)");
  serve_cmd->add_option("--data", serve.data, "Data directory")->required();
  serve_cmd->add_option("--key-file", serve.key_file, "Key file (default DATA/keyring)");
  serve_cmd
      ->add_option("--mllp-listen", serve.mllp_listen,
                   "MLLP address HOST:PORT (plaintext on loopback only; port 0 = any)")
      ->capture_default_str();
  serve_cmd->add_option("--mllp-tls-cert", serve.mllp_tls_cert,
                        "PEM certificate chain: MLLP over TLS with client certificates");
  serve_cmd->add_option("--mllp-tls-key", serve.mllp_tls_key, "PEM private key");
  serve_cmd->add_option("--mllp-client-ca", serve.mllp_client_ca,
                        "PEM CA bundle that issues sender certificates");
  serve_cmd->add_option(
      "--mllp-sender", serve.mllp_senders,
      "Allow certificate CN to send as MSH-3|MSH-4: CN=APP|FACILITY (repeatable)");
  serve_cmd->add_option(
      "--ack-mode", serve.ack_modes,
      "Acknowledgment mode for a sender: MSH3|MSH4=original|enhanced (repeatable)");
  serve_cmd->add_flag("--upgrade", serve.upgrade, "Upgrade an older database schema");
  serve_cmd->add_option("--watch", serve.watch_dir,
                        "Drop folder: import files placed here, then move them to done/ or "
                        "failed/ (off by default)");
  serve_cmd
      ->add_option("--watch-interval-ms", serve.watch_interval_ms,
                   "How often the drop folder is scanned")
      ->check(CLI::Range(50, 600000));

  KeyRotateCommand rotate;
  auto* key_cmd = app.add_subcommand("key", "Key management");
  key_cmd->require_subcommand(1);
  auto* rotate_cmd = key_cmd->add_subcommand(
      "rotate", "Add a data key and re-seal every value under it (stop the server first)");
  rotate_cmd->add_option("--data", rotate.data, "Data directory")->required();
  rotate_cmd->add_option("--key-file", rotate.key_file, "Key file (default DATA/keyring)");
  rotate_cmd->add_flag("--resume", rotate.resume, "Finish an interrupted rotation");

  CLI11_PARSE(app, argc, argv);
  if (rotate_cmd->parsed()) return RunKeyRotate(rotate);
  if (serve_cmd->parsed()) return RunServe(serve);
  if (init_cmd->parsed()) return RunInit(init);
  if (import_cmd->parsed()) return RunImport(import);
  if (hl7_p->parsed()) return RunHl7Parse(hl7_parse);
  if (idco_p->parsed()) return RunIdcoParse(idco_parse);
  if (gen->parsed()) return RunDemoDataGenerate(demo);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // Library exceptions (CLI11, the standard library) stop at this boundary with a message.
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "heartbase: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "heartbase: unexpected error\n");
  }
  return 70;  // EX_SOFTWARE
}
