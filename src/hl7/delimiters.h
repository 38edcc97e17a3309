// Delimiters: the encoding characters a message declares in MSH-1 and MSH-2.
#pragma once

namespace heartbase::hl7 {

// A character of '\0' means "not declared" and never matches input (the parser never compares a
// byte against an undeclared delimiter).
struct Delimiters {
  char field = '|';
  char component = '^';
  char repetition = '~';
  char escape = '\\';
  char subcomponent = '&';
  char truncation = '\0';  // HL7 v2.7+, optional fifth encoding character

  bool IsDelimiter(char c) const {
    return c != '\0' && (c == field || c == component || c == repetition || c == escape ||
                         c == subcomponent || c == truncation);
  }
};

}  // namespace heartbase::hl7
