use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub email: String,
    pub name: String,
    /// `None` for accounts provisioned from an external (shared-secret) token: they cannot sign in here.
    pub password_hash: Option<String>,
    pub email_verified: bool,
    pub image: Option<String>,
    /// Last task number handed out to this user; task ids are allocated by incrementing it.
    pub last_task_id: i64,
    pub created_at: DateTimeUtc,
    /// IANA time zone name (e.g. `Asia/Karachi`), for due dates and recurrence; `None` = UTC.
    pub timezone: Option<String>,
    /// The UI language the user chose (`en`, `ur`, …); `None` = the browser's.
    pub locale: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
