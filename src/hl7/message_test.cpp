#include "hl7/message.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace heartbase::hl7 {
namespace {

using base::ErrorCode;

constexpr std::string_view kOru =
    "MSH|^~\\&|Paceart|Medtronic|||20160628142621||ORU^R01^ORU_R01|CTRL1|P|2.6|||AL|NE\r"
    "PID|||MODEL:A3DR01 Advisa/SERIAL:PZK600806S^^^MDT^U~123^^^HOSP^MR||Doe^Jane\r"
    "OBR|1||GUID-1|754050^MDC_IDC_ENUM_SESS_TYPE_InClinic^MDC\r"
    "OBX|1|NM|722433^MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE^MDC||520|Ohm|||||F\r";

TEST(Hl7Message, ParsesSegmentsFieldsComponentsAndRepetitions) {
  auto m = Message::Parse(kOru);
  ASSERT_TRUE(m) << m.error().Describe();
  ASSERT_EQ(m->segment_count(), 4u);
  const Segment msh = m->segment(0);
  EXPECT_EQ(msh.id(), "MSH");
  EXPECT_EQ(msh.Field(1), "|");
  EXPECT_EQ(msh.Field(2), "^~\\&");
  EXPECT_EQ(msh.Field(3), "Paceart");
  EXPECT_EQ(msh.Field(10), "CTRL1");
  EXPECT_EQ(msh.Component(9, 3), "ORU_R01");
  EXPECT_EQ(msh.Field(16), "NE");
  EXPECT_EQ(msh.field_count(), 16u);
  const Segment pid = *m->Find("PID");
  EXPECT_EQ(pid.Component(3, 1), "MODEL:A3DR01 Advisa/SERIAL:PZK600806S");
  EXPECT_EQ(pid.Component(3, 4), "MDT");
  EXPECT_EQ(pid.Component(3, 1, 2), "123");
  EXPECT_EQ(pid.Component(3, 5, 2), "MR");
  EXPECT_EQ(pid.Component(3, 9, 2), "");
  EXPECT_EQ(pid.Field(40), "");
  const Segment obx = *m->Find("OBX");
  EXPECT_EQ(obx.Field(5), "520");
  EXPECT_EQ(obx.Field(11), "F");
  EXPECT_EQ(obx.Component(3, 2), "MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE");
}

TEST(Hl7Message, AcceptsCrLfCrLfAndBlankLines) {
  for (std::string_view sep : {"\r", "\n", "\r\n", "\r\n\r\n", "\n\n  \n"}) {
    std::string text;
    for (std::string_view seg :
         {"MSH|^~\\&|A|B|||20200101||ORU^R01|1|P|2.5", "PID|||x^^^MDT^U", "OBX|1|NM|1^X^MDC||5"}) {
      text += seg;
      text += sep;
    }
    auto m = Message::Parse(text);
    ASSERT_TRUE(m) << m.error().Describe();
    EXPECT_EQ(m->segment_count(), 3u);
    EXPECT_EQ(m->segment(2).Field(5), "5");
    EXPECT_EQ(m->continuation_lines(), 0u);
  }
}

TEST(Hl7Message, TakesDelimitersFromMsh) {
  auto m = Message::Parse("MSH$%~\\&$A$B\rPID$$$a%b&c~d\r");
  ASSERT_TRUE(m) << m.error().Describe();
  EXPECT_EQ(m->delimiters().field, '$');
  EXPECT_EQ(m->delimiters().component, '%');
  const Segment pid = m->segment(1);
  EXPECT_EQ(pid.Component(3, 2), "b&c");
  EXPECT_EQ(pid.Subcomponent(3, 2, 2), "c");
  EXPECT_EQ(pid.Component(3, 1, 2), "d");
}

// Component has a one-pass path for short fields; it must agree with splitting the field twice.
TEST(Hl7Message, ComponentAgreesWithSplittingTheFieldTwice) {
  const std::string long_field = std::string(70, 'x') + "^y^" + std::string(10, 'z') + "~w^v";
  const std::vector<std::string> fields = {"",          "a",     "^",       "^^",   "~",
                                           "a~b",       "~^b",   "a^~b^c",  "^b~c", "a^b^",
                                           "a^b^c~d^e", "a&b^c", long_field};
  for (const std::string& f : fields) {
    const std::string text = "MSH|^~\\&|A\rOBX||" + f + "\r";
    auto m = Message::Parse(text);
    ASSERT_TRUE(m) << m.error().Describe();
    const Segment obx = m->segment(1);
    for (std::uint32_t rep = 1; rep <= 2; ++rep) {
      for (std::uint32_t c = 0; c <= 4; ++c) {
        const std::string_view expected = NthPiece(NthPiece(obx.Field(2), '~', rep), '^', c);
        EXPECT_EQ(obx.Component(2, c, rep), expected) << f << " rep " << rep << " component " << c;
      }
    }
  }
}

TEST(Hl7Message, ReadsTheV27TruncationCharacter) {
  auto m = Message::Parse("MSH|^~\\&#|A\r");
  ASSERT_TRUE(m) << m.error().Describe();
  EXPECT_EQ(m->delimiters().truncation, '#');
  EXPECT_EQ(m->segment(0).Field(2), "^~\\&#");
  EXPECT_EQ(m->segment(0).Field(3), "A");
}

TEST(Hl7Message, RejectsMessageWithoutMsh) {
  auto m = Message::Parse("PID|||1\rOBX|1\r");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ErrorCode::kMalformed);
  EXPECT_NE(m.error().message.find("MSH"), std::string::npos);
}

TEST(Hl7Message, RejectsRepeatedOrAlphanumericDelimiters) {
  EXPECT_FALSE(Message::Parse("MSH|^^\\&|A\r"));
  EXPECT_FALSE(Message::Parse("MSH|A~\\&|A\r"));
  EXPECT_FALSE(Message::Parse("MSH|^~\\&$#!|A\r"));  // six encoding characters
}

TEST(Hl7Message, JoinsContinuationLinesOfWrappedAttachments) {
  auto m = Message::Parse("MSH|^~\\&|A\rOBX|1|ED|x||^PDF^^Base64^QUJD\nREVG\nR0g=|u\r");
  ASSERT_TRUE(m) << m.error().Describe();
  ASSERT_EQ(m->segment_count(), 2u);
  EXPECT_EQ(m->continuation_lines(), 2u);
  EXPECT_EQ(m->segment(1).Component(5, 5), "QUJD\nREVG\nR0g=");
  EXPECT_EQ(m->segment(1).Field(6), "u");
}

TEST(Hl7Message, RefusesContinuationLinesWhenAskedTo) {
  ParseOptions o;
  o.join_continuation_lines = false;
  auto m = Message::Parse("MSH|^~\\&|A\rOBX|1\rnot a segment\r", o);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ErrorCode::kMalformed);
  EXPECT_EQ(m.error().position.segment_seq, 3u);
  EXPECT_EQ(m.error().position.offset, 17u);
}

TEST(Hl7Message, EnforcesMessageSizeLimitBeforeScanning) {
  ParseOptions o;
  o.max_message_bytes = 10;
  auto m = Message::Parse(kOru, o);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ErrorCode::kLimitExceeded);
}

TEST(Hl7Message, EnforcesSegmentFieldAndFieldLengthLimits) {
  ParseOptions segs;
  segs.max_segments = 3;
  auto a = Message::Parse(kOru, segs);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::kLimitExceeded);
  EXPECT_EQ(a.error().position.segment_seq, 4u);

  ParseOptions fields;
  fields.max_fields_per_segment = 10;
  auto b = Message::Parse(kOru, fields);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, ErrorCode::kLimitExceeded);
  EXPECT_STREQ(b.error().position.segment, "MSH");

  ParseOptions length;
  length.max_field_bytes = 20;
  auto c = Message::Parse(kOru, length);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kLimitExceeded);
  EXPECT_STREQ(c.error().position.segment, "PID");
  EXPECT_EQ(c.error().position.field, 3u);
  EXPECT_NE(c.error().Describe().find("segment 2 PID, field 3"), std::string::npos)
      << c.error().Describe();
}

TEST(Hl7Message, ResetReusesStorageAndClearsOnFailure) {
  Message m;
  ASSERT_TRUE(m.Reset(kOru));
  EXPECT_EQ(m.segment_count(), 4u);
  EXPECT_FALSE(m.Reset("garbage"));
  EXPECT_EQ(m.segment_count(), 0u);
  ASSERT_TRUE(m.Reset(kOru));
  EXPECT_EQ(m.segment(3).Field(5), "520");
}

TEST(Hl7Message, FieldsAtEveryPositionOfTheSimdBlockAreFound) {
  // Vary the length of a prefix so that separators fall on every offset of a 16-byte block.
  for (int pad = 0; pad < 40; ++pad) {
    const std::string text =
        "MSH|^~\\&|" + std::string(pad, 'x') + "|B|C\rOBX|1|" + std::string(pad, 'y') + "|end";
    auto m = Message::Parse(text);
    ASSERT_TRUE(m) << pad;
    EXPECT_EQ(m->segment(0).Field(3), std::string(pad, 'x'));
    EXPECT_EQ(m->segment(0).Field(5), "C");
    EXPECT_EQ(m->segment(1).Field(2), std::string(pad, 'y'));
    EXPECT_EQ(m->segment(1).Field(3), "end");
  }
}

TEST(Hl7Pieces, SplitsAndCounts) {
  EXPECT_EQ(NthPiece("a^b^c", '^', 2), "b");
  EXPECT_EQ(NthPiece("a^b^c", '^', 4), "");
  EXPECT_EQ(NthPiece("", '^', 1), "");
  EXPECT_EQ(PieceCount("a^b^", '^'), 3u);
  EXPECT_EQ(PieceCount("", '^'), 1u);
}

}  // namespace
}  // namespace heartbase::hl7
