use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub title: String,
    pub description: Option<String>,
    pub completed: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// 0 low, 1 medium, 2 high (see `Priority`).
    pub priority: i16,
    /// Normalised tags as `,a,b,` (empty string: none), so that one tag is a `LIKE '%,tag,%'`.
    pub tags: String,
    pub due_at: Option<DateTimeUtc>,
    /// `daily` | `weekdays` | `weekly` | `monthly` (see `Recurrence`).
    pub recurrence: Option<String>,
    pub completed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
