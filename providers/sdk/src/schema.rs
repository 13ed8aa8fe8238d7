//! Resource schemas: what attributes and nested blocks a resource type takes, and how each
//! behaves (required, computed, forces replacement, sensitive). The config checker, the planner
//! and the YAML front end are all driven by this data, so adding a type never touches them.

use crate::value::Value;
use std::collections::BTreeMap;

/// Whether a type is a managed resource or a data source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceMode {
    Managed,
    Data,
}

/// The type of an attribute's value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrType {
    String,
    Number,
    Bool,
    List(Box<AttrType>),
    Set(Box<AttrType>),
    Map(Box<AttrType>),
    /// A JSON document held as a string (policies); compared semantically.
    Json,
    /// Anything (used by `terraform_data.input`).
    Dynamic,
}

/// How one attribute behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub ty: AttrType,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub force_new: bool,
    pub sensitive: bool,
    /// Value the provider fills in when the config leaves it out (compared as if written).
    pub default: Option<Value>,
    pub description: &'static str,
}

impl Attribute {
    fn new(ty: AttrType) -> Self {
        Attribute {
            ty,
            required: false,
            optional: false,
            computed: false,
            force_new: false,
            sensitive: false,
            default: None,
            description: "",
        }
    }
    /// Must be set in config.
    pub fn required(ty: AttrType) -> Self {
        Attribute {
            required: true,
            ..Self::new(ty)
        }
    }
    /// May be set in config.
    pub fn optional(ty: AttrType) -> Self {
        Attribute {
            optional: true,
            ..Self::new(ty)
        }
    }
    /// Set by the provider only (ids, ARNs).
    pub fn computed(ty: AttrType) -> Self {
        Attribute {
            computed: true,
            ..Self::new(ty)
        }
    }
    /// May be set in config; the provider fills it in otherwise.
    pub fn optional_computed(ty: AttrType) -> Self {
        Attribute {
            optional: true,
            computed: true,
            ..Self::new(ty)
        }
    }
    pub fn force_new(mut self) -> Self {
        self.force_new = true;
        self
    }
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    pub fn default(mut self, v: Value) -> Self {
        self.default = Some(v);
        self
    }
    pub fn describe(mut self, d: &'static str) -> Self {
        self.description = d;
        self
    }
}

/// How many times a nested block may appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// At most one block (stored as a list of zero or one object, as Terraform's state does).
    Single,
    /// An ordered list of blocks.
    List,
    /// An unordered set of blocks (compared without regard to order).
    Set,
}

/// A nested block such as `ingress { ... }` or `versioning_configuration { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockSchema {
    pub nesting: Nesting,
    pub min_items: usize,
    pub max_items: Option<usize>,
    pub force_new: bool,
    /// Optional and computed: when the config has no such blocks, the cloud's are kept and
    /// not planned for removal (Terraform's `Optional + Computed` blocks, e.g. a role's
    /// `inline_policy`: absent means "not managed here").
    pub computed: bool,
    /// Also accepts attribute syntax, `name = [{ ... }, ...]`, as Terraform does for a few
    /// blocks (security group rules, routes); `name = []` then means "none of them", where
    /// leaving the blocks out means "not managed here".
    pub attribute_syntax: bool,
    pub block: Block,
}

/// The attributes and blocks of a resource body or a nested block.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Block {
    pub attributes: BTreeMap<String, Attribute>,
    pub blocks: BTreeMap<String, BlockSchema>,
}

impl Block {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn attr(mut self, name: &str, a: Attribute) -> Self {
        self.attributes.insert(name.to_string(), a);
        self
    }
    pub fn block(mut self, name: &str, b: BlockSchema) -> Self {
        self.blocks.insert(name.to_string(), b);
        self
    }

    /// Names that may appear in config (attributes that are not computed-only, and blocks).
    pub fn settable_names(&self) -> impl Iterator<Item = &str> {
        self.attributes
            .iter()
            .filter(|(_, a)| a.required || a.optional)
            .map(|(k, _)| k.as_str())
            .chain(self.blocks.keys().map(String::as_str))
    }
}

impl BlockSchema {
    pub fn single(block: Block) -> Self {
        BlockSchema {
            nesting: Nesting::Single,
            min_items: 0,
            max_items: Some(1),
            force_new: false,
            computed: false,
            attribute_syntax: false,
            block,
        }
    }
    pub fn list(block: Block) -> Self {
        BlockSchema {
            nesting: Nesting::List,
            min_items: 0,
            max_items: None,
            force_new: false,
            computed: false,
            attribute_syntax: false,
            block,
        }
    }
    pub fn set(block: Block) -> Self {
        BlockSchema {
            nesting: Nesting::Set,
            min_items: 0,
            max_items: None,
            force_new: false,
            computed: false,
            attribute_syntax: false,
            block,
        }
    }
    pub fn required(mut self) -> Self {
        self.min_items = 1;
        self
    }
    pub fn force_new(mut self) -> Self {
        self.force_new = true;
        self
    }
    pub fn computed(mut self) -> Self {
        self.computed = true;
        self
    }
    /// See `attribute_syntax`.
    pub fn attribute_syntax(mut self) -> Self {
        self.attribute_syntax = true;
        self
    }
}

/// Where a type sits in Crossplane's Upbound AWS provider, for the YAML front end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossplaneKind {
    /// API group, e.g. `sqs.aws.upbound.io`.
    pub group: &'static str,
    /// Kind, e.g. `Queue`.
    pub kind: &'static str,
}

/// Everything terrane knows about one resource or data source type.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub type_name: &'static str,
    pub mode: ResourceMode,
    pub body: Block,
    pub crossplane: Option<CrossplaneKind>,
    /// Whether the type supports tags (and so terrane's ownership tags).
    pub taggable: bool,
    /// Bumped when the stored shape of this type changes.
    pub version: u32,
    /// What `state import ADDR ID` expects as ID, for help text.
    pub import_id: &'static str,
}

impl Schema {
    pub fn managed(type_name: &'static str, body: Block) -> Self {
        Schema {
            type_name,
            mode: ResourceMode::Managed,
            body,
            crossplane: None,
            taggable: false,
            version: 0,
            import_id: "the resource id",
        }
    }
    pub fn data(type_name: &'static str, body: Block) -> Self {
        Schema {
            mode: ResourceMode::Data,
            ..Self::managed(type_name, body)
        }
    }
    pub fn crossplane(mut self, group: &'static str, kind: &'static str) -> Self {
        self.crossplane = Some(CrossplaneKind { group, kind });
        self
    }
    pub fn taggable(mut self) -> Self {
        self.taggable = true;
        self
    }
    pub fn import_id(mut self, what: &'static str) -> Self {
        self.import_id = what;
        self
    }

    /// The schema of the attribute at a top-level name.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.body.attributes.get(name)
    }

    /// True if the top-level attribute or block is sensitive.
    pub fn is_sensitive(&self, name: &str) -> bool {
        self.attribute(name).is_some_and(|a| a.sensitive)
    }
}

/// The standard `tags` / `tags_all` pair of every taggable AWS resource.
pub fn tags_attributes(block: Block) -> Block {
    block
        .attr(
            "tags",
            Attribute::optional(AttrType::Map(Box::new(AttrType::String))),
        )
        .attr(
            "tags_all",
            Attribute::computed(AttrType::Map(Box::new(AttrType::String))),
        )
}
