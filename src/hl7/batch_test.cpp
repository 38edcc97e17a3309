// SplitBatch: envelopes, terminators, declared counts, limits, and the lines that belong to no
// message (nested batch headers), which must reach the caller rather than vanish.
#include "hl7/batch.h"

#include <gtest/gtest.h>

#include <string>

namespace heartbase::hl7 {
namespace {

TEST(Hl7Batch, SplitsFileAndBatchEnvelopes) {
  const std::string text =
      "FHS|^~\\&|GW\rBHS|^~\\&|GW\r"
      "MSH|^~\\&|A|||||ORU^R01|1|P|2.5\rPID|||x\rOBX|1\r"
      "MSH|^~\\&|A|||||ORU^R01|2|P|2.5\rPID|||y\r"
      "BTS|2\rFTS|1\r";
  auto b = SplitBatch(text);
  ASSERT_TRUE(b) << b.error().Describe();
  ASSERT_EQ(b->messages.size(), 2u);
  EXPECT_TRUE(b->enveloped);
  EXPECT_EQ(b->messages[0].bytes, "MSH|^~\\&|A|||||ORU^R01|1|P|2.5\rPID|||x\rOBX|1");
  EXPECT_EQ(b->messages[1].bytes, "MSH|^~\\&|A|||||ORU^R01|2|P|2.5\rPID|||y");
  EXPECT_EQ(b->declared_batch_messages, 2u);
  EXPECT_EQ(b->declared_file_batches, 1u);
  EXPECT_TRUE(b->orphans.empty());
}

TEST(Hl7Batch, SplitsConcatenatedMessagesWithAnyTerminator) {
  auto b = SplitBatch("MSH|^~\\&|A\nPID|1\n\nMSH|^~\\&|B\r\nPID|2\r\n");
  ASSERT_TRUE(b);
  ASSERT_EQ(b->messages.size(), 2u);
  EXPECT_FALSE(b->enveloped);
  EXPECT_EQ(b->messages[1].bytes, "MSH|^~\\&|B\r\nPID|2");
  EXPECT_EQ(b->messages[1].offset, 18u);
}

TEST(Hl7Batch, ReportsDeclaredCountMismatchWithoutLosingMessages) {
  auto b = SplitBatch("BHS|^~\\&\rMSH|^~\\&|A\rBTS|5\r");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->messages.size(), 1u);
  EXPECT_EQ(b->declared_batch_messages, 5u);
}

TEST(Hl7Batch, RejectsInputWithoutMessagesAndTooManyMessages) {
  EXPECT_FALSE(SplitBatch("PID|||x\r"));
  EXPECT_FALSE(SplitBatch(""));
  BatchOptions o;
  o.max_messages = 1;
  auto b = SplitBatch("MSH|^~\\&|A\rMSH|^~\\&|B\r", o);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, base::ErrorCode::kLimitExceeded);
}

// The shape of python-hl7's sample_bad_batch1.hl7 / sample_bad_file1.hl7 (written here by hand):
// a second BHS inside a batch ends the first message after EVN, and PID, PD1, NK1 and PV1
// belong to no message. They used to be dropped without a word.
TEST(Hl7Batch, ReportsSegmentsCutOffByANestedBatchHeader) {
  const std::string head =
      "FHS|^~\\&|GW\rBHS|^~\\&|GW\r"
      "MSH|^~\\&|LAB|NORTH|||20260101||ADT^A01|7|P|2.5\rEVN|A01|20260101\r"
      "BHS|^~\\&|GW\r";
  const std::string cut = "PID|||X1||TESTNAME^ONE\rPD1|||CLINIC\rNK1|1|TESTNAME^TWO\rPV1|1|O";
  const std::string text = head + cut + "\rBTS|1\rFTS|1\r";
  auto b = SplitBatch(text);
  ASSERT_TRUE(b) << b.error().Describe();
  ASSERT_EQ(b->messages.size(), 1u);
  EXPECT_EQ(b->messages[0].bytes,
            "MSH|^~\\&|LAB|NORTH|||20260101||ADT^A01|7|P|2.5\rEVN|A01|20260101");
  ASSERT_EQ(b->orphans.size(), 1u);
  EXPECT_EQ(b->orphans[0].bytes, cut);
  EXPECT_EQ(b->orphans[0].offset, head.size());
  EXPECT_EQ(b->orphans[0].lines, 4u);
  const base::Error e = OrphanError(b->orphans[0]);
  EXPECT_EQ(e.code, base::ErrorCode::kMalformed);
  EXPECT_STREQ(e.position.segment, "PID");
  EXPECT_EQ(e.position.offset, head.size());
  EXPECT_NE(e.message.find("segment PID and the 3 lines after it belong to no message"),
            std::string::npos)
      << e.message;
  EXPECT_EQ(e.message.find("TESTNAME"), std::string::npos);  // nothing of the content
}

// A batch header followed by segments but no MSH before the next header: those segments belong
// to no message either; the next batch's message is intact.
TEST(Hl7Batch, ReportsSegmentsOfABatchWithoutMsh) {
  const std::string text =
      "BHS|^~\\&\r\nPID|||X2\r\nOBX|1|NM|x||1\r\n"
      "BHS|^~\\&\r\nMSH|^~\\&|A\r\nPID|||X3\r\nBTS|1\r\nBTS|0\r\n";
  auto b = SplitBatch(text);
  ASSERT_TRUE(b) << b.error().Describe();
  ASSERT_EQ(b->messages.size(), 1u);
  EXPECT_EQ(b->messages[0].bytes, "MSH|^~\\&|A\r\nPID|||X3");
  ASSERT_EQ(b->orphans.size(), 1u);
  EXPECT_EQ(b->orphans[0].offset, 10u);
  EXPECT_EQ(b->orphans[0].bytes, "PID|||X2\r\nOBX|1|NM|x||1");
  EXPECT_EQ(b->orphans[0].lines, 2u);
  EXPECT_STREQ(OrphanError(b->orphans[0]).position.segment, "PID");
}

TEST(Hl7Batch, KeepsEachRunOfOrphanedLinesApartAndInOrder) {
  auto b = SplitBatch("not hl7 at all\nMSH|^~\\&|A\nBTS|1\nZZZ|1\n\nZZZ|2\nFTS|1\nEVN|x\n");
  ASSERT_TRUE(b);
  ASSERT_EQ(b->orphans.size(), 3u);
  EXPECT_EQ(b->orphans[0].bytes, "not hl7 at all");
  EXPECT_EQ(b->orphans[0].offset, 0u);
  EXPECT_EQ(b->orphans[1].bytes, "ZZZ|1\n\nZZZ|2");  // a blank line does not end a run
  EXPECT_EQ(b->orphans[1].lines, 2u);
  EXPECT_EQ(b->orphans[2].bytes, "EVN|x");
  const base::Error first = OrphanError(b->orphans[0]);
  EXPECT_STREQ(first.position.segment, "");
  EXPECT_NE(first.message.find("a line belongs to no message"), std::string::npos) << first.message;
}

TEST(Hl7Batch, LimitsTheRunsOfOrphanedLines) {
  BatchOptions o;
  o.max_orphans = 2;
  EXPECT_TRUE(SplitBatch("MSH|^~\\&|A\rBTS|1\rX\rBHS|\rY\r", o));
  auto b = SplitBatch("MSH|^~\\&|A\rBTS|1\rX\rBHS|\rY\rBHS|\rZ\r", o);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, base::ErrorCode::kLimitExceeded);
  EXPECT_EQ(b.error().position.offset, 31u);  // "Z", the third run
}

}  // namespace
}  // namespace heartbase::hl7
