//! What a user asks about a selection: a chip click or a free-text follow-up, never
//! neither. `Ask` is what arrives (from a click, the CLI or a test); `Action` is the same
//! with the chip's template looked up, which is what the evidence, prompt and narrative
//! steps work from.

use serde::{Deserialize, Serialize};

use crate::copilot::chips::ChipTemplate;

/// A chip click (by chip id) or a follow-up question.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ask {
    Chip(String),
    Question(String),
}

impl Ask {
    pub fn chip(id: &str) -> Ask {
        Ask::Chip(id.to_string())
    }

    pub fn question(text: &str) -> Ask {
        Ask::Question(text.to_string())
    }
}

/// An ask ready for the pipeline: the chip's template, or the question's text.
#[derive(Clone, Copy, Debug)]
pub enum Action<'a> {
    Chip(&'a ChipTemplate),
    Question(&'a str),
}

impl<'a> Action<'a> {
    pub fn chip(self) -> Option<&'a ChipTemplate> {
        match self {
            Action::Chip(c) => Some(c),
            Action::Question(_) => None,
        }
    }

    pub fn question(self) -> Option<&'a str> {
        match self {
            Action::Chip(_) => None,
            Action::Question(q) => Some(q),
        }
    }

    /// `id@version` of the chip, or `follow-up question`: the prompt's `Action:` line names it.
    pub fn describe(self) -> String {
        match self {
            Action::Chip(c) => format!("{} \"{}\"", c.versioned_id(), c.label),
            Action::Question(_) => "follow-up question".to_string(),
        }
    }
}
