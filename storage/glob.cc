#include "storage/glob.h"

#include <bitset>
#include <cctype>
#include <vector>

namespace emberkv::storage {
namespace {

struct Token {
  enum Kind { kLiteral, kAny, kStar, kClass } kind = kLiteral;
  unsigned char literal = 0;
  std::bitset<256> set;  // kClass: the bytes it matches (negation applied)
};

unsigned char Fold(unsigned char c, bool nocase) {
  return nocase ? static_cast<unsigned char>(std::tolower(c)) : c;
}

// Parses Redis's class syntax starting after '['; returns the index after it.
size_t ParseClass(std::string_view p, size_t i, bool nocase, Token* token) {
  bool negate = i < p.size() && p[i] == '^';
  if (negate) ++i;
  std::bitset<256> set;
  while (i < p.size() && p[i] != ']') {
    if (p[i] == '\\' && i + 1 < p.size()) {
      set.set(Fold(static_cast<unsigned char>(p[i + 1]), nocase));
      i += 2;
    } else if (i + 2 < p.size() && p[i + 1] == '-') {
      unsigned char a = static_cast<unsigned char>(p[i]);
      unsigned char b = static_cast<unsigned char>(p[i + 2]);
      if (a > b) std::swap(a, b);
      for (int c = a; c <= b; ++c) set.set(Fold(static_cast<unsigned char>(c), nocase));
      i += 3;
    } else {
      set.set(Fold(static_cast<unsigned char>(p[i]), nocase));
      ++i;
    }
  }
  if (i < p.size()) ++i;  // the ']'; an unterminated class takes the rest, as in Redis
  token->kind = Token::kClass;
  token->set = negate ? ~set : set;
  return i;
}

std::vector<Token> Tokenize(std::string_view p, bool nocase) {
  std::vector<Token> tokens;
  for (size_t i = 0; i < p.size();) {
    Token token;
    token.kind = Token::kLiteral;
    switch (p[i]) {
      case '*':
        while (i < p.size() && p[i] == '*') ++i;
        token.kind = Token::kStar;
        break;
      case '?':
        token.kind = Token::kAny;
        ++i;
        break;
      case '[':
        i = ParseClass(p, i + 1, nocase, &token);
        break;
      case '\\':
        if (i + 1 < p.size()) ++i;
        [[fallthrough]];
      default:
        token.literal = Fold(static_cast<unsigned char>(p[i]), nocase);
        ++i;
        break;
    }
    tokens.push_back(token);
  }
  return tokens;
}

bool MatchOne(const Token& token, unsigned char c, bool nocase) {
  switch (token.kind) {
    case Token::kAny:
      return true;
    case Token::kLiteral:
      return token.literal == Fold(c, nocase);
    case Token::kClass:
      return token.set.test(Fold(c, nocase));
    case Token::kStar:
      return false;
  }
  return false;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text, bool nocase) {
  // Redis's matcher never matches an empty text against a non-empty pattern
  // (callers special-case the pattern "*").
  if (text.empty()) return pattern.empty();
  std::vector<Token> tokens = Tokenize(pattern, nocase);
  size_t t = 0, s = 0;
  size_t star = SIZE_MAX, star_text = 0;
  while (s < text.size()) {
    if (t < tokens.size() && tokens[t].kind == Token::kStar) {
      star = t++;
      star_text = s;
    } else if (t < tokens.size() &&
               MatchOne(tokens[t], static_cast<unsigned char>(text[s]), nocase)) {
      ++t;
      ++s;
    } else if (star != SIZE_MAX) {
      // Let the last star swallow one more byte and retry from after it.
      t = star + 1;
      s = ++star_text;
    } else {
      return false;
    }
  }
  while (t < tokens.size() && tokens[t].kind == Token::kStar) ++t;
  return t == tokens.size();
}

}  // namespace emberkv::storage
