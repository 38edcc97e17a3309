#include "hl7/ack.h"

#include <gtest/gtest.h>

#include "hl7/message.h"

namespace heartbase::hl7 {
namespace {

AckRequest Request(AckOutcome outcome) {
  AckRequest r;
  r.outcome = outcome;
  r.sending_facility = "CLINIC";
  r.control_id = "ACK1";
  r.timestamp = "20261123120000+0000";
  return r;
}

TEST(Hl7Ack, OriginalModeEchoesControlIdInMsa2) {
  auto m = Message::Parse("MSH|^~\\&|GW|BSC|||20260101||ORU^R01^ORU_R01|MSG-77|P|2.5\r");
  ASSERT_TRUE(m);
  const AckContext ctx = AckContextFrom(*m);
  EXPECT_EQ(ModeFor(ctx), AckMode::kOriginal);
  const std::string ack = BuildAck(ctx, Request(AckOutcome::kAccept));
  EXPECT_EQ(ack,
            "MSH|^~\\&|heartbase|CLINIC|GW|BSC|20261123120000+0000||ACK^R01^ACK|ACK1|P|2.5\r"
            "MSA|AA|MSG-77\r");
  auto parsed = Message::Parse(ack);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->Find("MSA")->Field(2), "MSG-77");
}

TEST(Hl7Ack, EnhancedModeFromMsh15And16) {
  auto m = Message::Parse("MSH|^~\\&|Paceart|Medtronic|||20160628||ORU^R01|X|P|2.6|||AL|NE\r");
  ASSERT_TRUE(m);
  const AckContext ctx = AckContextFrom(*m);
  EXPECT_EQ(ModeFor(ctx), AckMode::kEnhanced);
  EXPECT_TRUE(AckRequested(ctx, AckOutcome::kAccept));
  const std::string ack = BuildAck(ctx, Request(AckOutcome::kAccept));
  EXPECT_NE(ack.find("MSA|CA|X\r"), std::string::npos);
  EXPECT_NE(BuildAck(ctx, Request(AckOutcome::kReject)).find("MSA|CR|X"), std::string::npos);
}

TEST(Hl7Ack, AcceptAckTypeDecidesWhetherToAnswer) {
  AckContext ctx;
  ctx.accept_ack_type = "NE";
  ctx.application_ack_type = "AL";
  EXPECT_FALSE(AckRequested(ctx, AckOutcome::kAccept));
  ctx.accept_ack_type = "ER";
  EXPECT_FALSE(AckRequested(ctx, AckOutcome::kAccept));
  EXPECT_TRUE(AckRequested(ctx, AckOutcome::kError));
  ctx.accept_ack_type = "SU";
  EXPECT_TRUE(AckRequested(ctx, AckOutcome::kAccept));
  EXPECT_FALSE(AckRequested(ctx, AckOutcome::kReject));
}

TEST(Hl7Ack, ErrSegmentCarriesTable0357CodeAndLocation) {
  AckContext ctx = AckContextFromBytes("MSH|^~\\&|A|B|||2026||ORU^R01|C9|P|2.5\rOBX|garbage");
  EXPECT_EQ(ctx.control_id, "C9");
  AckRequest r = Request(AckOutcome::kError);
  base::Position p;
  p.segment[0] = 'O', p.segment[1] = 'B', p.segment[2] = 'X';
  p.segment_occurrence = 3;
  p.field = 5;
  r.errors.push_back(AckError{.condition = 102, .text = "bad value | here", .position = p});
  const std::string ack = BuildAck(ctx, r);
  EXPECT_NE(ack.find("MSA|AE|C9\r"), std::string::npos);
  EXPECT_NE(ack.find("ERR||OBX^3^5|102^Data type error^HL70357|E||||bad value \\F\\ here\r"),
            std::string::npos)
      << ack;
}

TEST(Hl7Ack, ModeOverrideWins) {
  AckContext ctx;
  ctx.accept_ack_type = "AL";
  AckRequest r = Request(AckOutcome::kAccept);
  r.mode = AckMode::kOriginal;
  EXPECT_NE(BuildAck(ctx, r).find("MSA|AA|"), std::string::npos);
}

TEST(Hl7Ack, ContextFromUnparseableBytesIsEmptyNotACrash) {
  const AckContext ctx = AckContextFromBytes("\x0b garbage \x1c\r");
  EXPECT_TRUE(ctx.control_id.empty());
  EXPECT_NE(BuildAck(ctx, Request(AckOutcome::kReject)).find("MSA|AR|\r"), std::string::npos);
}

}  // namespace
}  // namespace heartbase::hl7
