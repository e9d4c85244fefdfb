//! The planner's compiled patterns, matched case-insensitively, with the few search operations it
//! uses.
//!
//! The planner matches ~90 patterns against one short message per turn. They are compiled with
//! regex-automata's meta engine directly (the engine the `regex` crate wraps), with only the engines
//! that need no memory beyond the pattern's forward NFA: the bounded backtracker and the PikeVM
//! (microseconds on a message), plus the literal prefilters. `regex::Regex` offers no switch for
//! the rest: a lazy DFA keeps a ~35 KiB cache per thread that ran it; whenever the DFA engines are
//! compiled in (tracing-subscriber's env-filter enables them), each pattern also keeps a reverse NFA
//! for them, larger than the forward one; and the one-pass DFA keeps a transition table (~280 KiB
//! for the title-question pattern alone).
//!
//! Case: the patterns are written in lower case and matched against the text with its ASCII letters
//! lower-cased (`to_ascii_lowercase` keeps every byte offset, so matches and groups slice the
//! original text). Unicode case folding (`(?i)`) would make every letter of a pattern a class
//! (`k` is also the Kelvin sign) and fold every Unicode class, for nothing the planner reads: its
//! keywords are English and Roman Urdu (ASCII) and Urdu (no case). Unicode classes (`\w`, `\d`,
//! `\s`, `\b`) keep their Unicode meaning.
//!
//! The 86 patterns held ~3.7 MiB compiled with `regex::Regex` (`(?i)`, no lazy DFA), ~1.4 MiB now
//! (bench/README.md, memory).

use std::{borrow::Cow, ops::Index};

use regex_automata::{Span, meta, util::captures::Captures as Slots};

/// A compiled pattern.
pub(super) struct Pattern(meta::Regex);

/// Defines a lazily compiled [`Pattern`] static.
macro_rules! pattern {
    ($name:ident, $p:expr) => {
        pub(super) static $name: std::sync::LazyLock<$crate::local::pattern::Pattern> =
            std::sync::LazyLock::new(|| $crate::local::pattern::Pattern::new($p));
    };
}
pub(super) use pattern;

impl Pattern {
    /// Compiles `pattern` (written in lower case).
    pub(super) fn new(pattern: &str) -> Pattern {
        // patterns are constants; a typo or an upper-case letter is caught by the unit tests
        if let Some(c) = upper_case_letter(pattern) {
            panic!("pattern {pattern} has an upper-case {c}: the text is matched lower-cased");
        }
        let config = meta::Config::new()
            .hybrid(false)
            .dfa(false)
            .onepass(false)
            .nfa_size_limit(Some(NFA_SIZE_LIMIT));
        meta::Regex::builder()
            .configure(config)
            .build(pattern)
            .map(Pattern)
            .unwrap_or_else(|e| panic!("bad pattern {pattern}: {e}"))
    }

    pub(super) fn is_match(&self, text: &str) -> bool {
        self.0.is_match(lower(text).as_ref())
    }

    /// The leftmost-first match.
    pub(super) fn find<'h>(&self, text: &'h str) -> Option<Match<'h>> {
        self.0
            .find(lower(text).as_ref())
            .map(|m| Match::new(text, m.span()))
    }

    /// Successive non-overlapping matches.
    pub(super) fn find_iter<'h>(&self, text: &'h str) -> impl Iterator<Item = Match<'h>> + use<'h> {
        let spans: Vec<Span> = self
            .0
            .find_iter(lower(text).as_ref())
            .map(|m| m.span())
            .collect();
        spans.into_iter().map(move |s| Match::new(text, s))
    }

    pub(super) fn captures<'h>(&self, text: &'h str) -> Option<Captures<'h>> {
        let mut slots = self.0.create_captures();
        self.0.captures(lower(text).as_ref(), &mut slots);
        slots.is_match().then_some(Captures { text, slots })
    }

    /// Successive non-overlapping matches, with their groups.
    pub(super) fn captures_iter<'h>(
        &self,
        text: &'h str,
    ) -> impl Iterator<Item = Captures<'h>> + use<'h> {
        let all: Vec<Slots> = self.0.captures_iter(lower(text).as_ref()).collect();
        all.into_iter().map(move |slots| Captures { text, slots })
    }

    /// `text` without its first match.
    pub(super) fn remove_first<'h>(&self, text: &'h str) -> Cow<'h, str> {
        match self.find(text) {
            Some(m) => Cow::Owned([&text[..m.start()], &text[m.end()..]].concat()),
            None => Cow::Borrowed(text),
        }
    }
}

/// `text` with its ASCII letters lower-cased: the same length, every byte at the same offset.
fn lower(text: &str) -> Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(text.to_ascii_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

/// An upper-case ASCII letter outside an escape (`\S`) and a group's `(?P<`.
fn upper_case_letter(pattern: &str) -> Option<char> {
    let b = pattern.as_bytes();
    (0..b.len())
        .find(|&i| {
            b[i].is_ascii_uppercase()
                && !(i > 0 && b[i - 1] == b'\\')
                && !(b[i] == b'P' && pattern[..i].ends_with("(?"))
        })
        .map(|i| char::from(b[i]))
}

/// The `regex` crate's limit on a compiled pattern (its `RegexBuilder::size_limit` default).
const NFA_SIZE_LIMIT: usize = 10 << 20;

/// Where a pattern or one of its groups matched.
#[derive(Clone, Copy, Debug)]
pub(super) struct Match<'h> {
    text: &'h str,
    start: usize,
    end: usize,
}

impl<'h> Match<'h> {
    fn new(text: &'h str, span: Span) -> Match<'h> {
        Match {
            text,
            start: span.start,
            end: span.end,
        }
    }

    pub(super) fn start(&self) -> usize {
        self.start
    }

    pub(super) fn end(&self) -> usize {
        self.end
    }

    pub(super) fn as_str(&self) -> &'h str {
        &self.text[self.start..self.end]
    }
}

/// A match with its groups.
pub(super) struct Captures<'h> {
    text: &'h str,
    slots: Slots,
}

impl<'h> Captures<'h> {
    /// Group `i` (0: the whole match), if it took part in the match.
    pub(super) fn get(&self, i: usize) -> Option<Match<'h>> {
        self.slots.get_group(i).map(|s| Match::new(self.text, s))
    }

    /// The named group, if it took part in the match.
    pub(super) fn name(&self, name: &str) -> Option<Match<'h>> {
        self.slots
            .get_group_by_name(name)
            .map(|s| Match::new(self.text, s))
    }
}

/// `c["name"]`: the named group's text; like `regex::Captures`, panics when the group took no part
/// in the match (the pattern guarantees it does where this is used).
impl Index<&str> for Captures<'_> {
    type Output = str;

    fn index(&self, name: &str) -> &str {
        self.name(name)
            .map(|m| m.as_str())
            .unwrap_or_else(|| panic!("no group named {name} in the match"))
    }
}

/// `c[1]`: group 1's text; panics like `c["name"]`.
impl Index<usize> for Captures<'_> {
    type Output = str;

    fn index(&self, i: usize) -> &str {
        self.get(i)
            .map(|m| m.as_str())
            .unwrap_or_else(|| panic!("no group {i} in the match"))
    }
}
