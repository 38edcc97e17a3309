#include "hl7/batch.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace heartbase::hl7
