//! A plan file's text kept beside the plan it holds, so saving an edited plan patches the text
//! instead of rewriting it.
//!
//! Plans live in git and are reviewed in pull requests, so the file is what people read: a
//! one-number edit must change one line, and comments, flow or block style, key order, blank
//! lines and quoting must stay as written. [`PlanDocument::rewrite`] finds where each value of
//! the old plan sits in the text (with a YAML parser that reports positions), writes only the
//! values that changed, adds routes and catalog entries in the style of a sibling, and removes
//! exactly the lines of what was removed.
//!
//! The patched text is then read back: it must parse to exactly the new plan. When it does not
//! (a layout the patcher does not know, such as anchors), the plan is written whole as
//! [`Plan::to_yaml`] does and the answer says so. That check, not the patcher's cleverness,
//! is what keeps a saved file correct.

use edgecost_pricing::PriceBook;

use crate::error::PlanError;
use crate::plan::Plan;

/// A plan with the text it was read from (or last written as).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanDocument {
    text: String,
    plan: Plan,
}

/// New text for a plan file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rewrite {
    /// The whole new text of the file.
    pub text: String,
    /// The layout could not be kept: the plan was written whole, in the canonical layout.
    pub reformatted: bool,
}

impl PlanDocument {
    /// Parses and validates `text` as [`Plan::parse`] does, keeping the text.
    pub fn parse(text: String, file: &str, book: &PriceBook) -> Result<PlanDocument, PlanError> {
        let plan = Plan::parse(&text, file, book)?;
        Ok(PlanDocument { text, plan })
    }

    /// Reads and validates a plan file, keeping its text.
    pub fn load(path: &std::path::Path, book: &PriceBook) -> Result<PlanDocument, PlanError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| PlanError::Read { file: file.clone(), source })?;
        PlanDocument::parse(text, &file, book)
    }

    /// A plan that has no text yet, written in the canonical layout of [`Plan::to_yaml`].
    pub fn canonical(plan: Plan) -> PlanDocument {
        PlanDocument { text: plan.to_yaml(), plan }
    }

    /// The text as it stands, as the file would hold it.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The plan the text parses to.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The text of `new`: this document's text with only what changed rewritten, or the whole
    /// plan in the canonical layout when the patched text does not read back as `new`.
    pub fn rewrite(&self, new: &Plan, book: &PriceBook) -> Rewrite {
        if *new == self.plan {
            return Rewrite { text: self.text.clone(), reformatted: false };
        }
        let patched = patch(&self.text, &self.plan, new);
        match patched {
            Some(text) if Plan::parse(&text, "plan", book).is_ok_and(|p| p == *new) => Rewrite { text, reformatted: false },
            _ => Rewrite { text: new.to_yaml(), reformatted: true },
        }
    }

    /// The document after `rewrite`: the new text and the plan it holds.
    pub fn rewritten(&self, new: &Plan, book: &PriceBook) -> (PlanDocument, bool) {
        let Rewrite { text, reformatted } = self.rewrite(new, book);
        (PlanDocument { text, plan: new.clone() }, reformatted)
    }
}

// ---------------------------------------------------------------------------------------------
// The YAML tree with byte positions.

mod patch;
mod tree;

use patch::patch;
