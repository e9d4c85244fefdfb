//! Typed helpers for the REST task API: one user's `/api/{user_id}/tasks` routes, responses read
//! into small structs instead of indexing untyped JSON.

use std::collections::BTreeMap;

use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

use super::{TestApp, TestUser};

/// A task as the REST API returns it (the fields these tests look at).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Task {
    pub id: i64,
    pub user_id: String,
    pub title: String,
    pub description: Option<String>,
    pub completed: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// The API's error shape.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    #[serde(default)]
    pub fields: BTreeMap<String, Value>,
}

/// One user's task routes.
pub struct Tasks<'a> {
    app: &'a TestApp,
    user: &'a TestUser,
    base: String,
}

impl TestApp {
    pub fn tasks_of<'a>(&'a self, user: &'a TestUser) -> Tasks<'a> {
        Tasks {
            app: self,
            user,
            base: format!("/api/{}/tasks", user.id),
        }
    }
}

impl Tasks<'_> {
    /// The collection path followed by `suffix` (`""`, `"/2"`, `"?status=pending"`...).
    pub fn path(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.base)
    }

    /// Sends a request as the user; returns status and JSON body (Null when empty).
    pub async fn send(&self, method: Method, suffix: &str, body: Option<Value>) -> (u16, Value) {
        self.app
            .call(method, &self.path(suffix), Some(&self.user.jwt), body)
            .await
    }

    /// The status of a request.
    pub async fn status(&self, method: Method, suffix: &str, body: Option<Value>) -> u16 {
        self.send(method, suffix, body).await.0
    }

    /// A request that must succeed with `expected`, its body read as a task.
    pub async fn expect_task(
        &self,
        method: Method,
        suffix: &str,
        body: Option<Value>,
        expected: u16,
    ) -> Task {
        let (status, json) = self.send(method.clone(), suffix, body).await;
        assert_eq!(status, expected, "{method} {suffix}: {json}");
        serde_json::from_value(json).expect("a task")
    }

    /// A request that must be refused; returns its status and error body.
    pub async fn refused(
        &self,
        method: Method,
        suffix: &str,
        body: Option<Value>,
    ) -> (u16, ErrorBody) {
        let (status, json) = self.send(method.clone(), suffix, body).await;
        assert!(status >= 400, "{method} {suffix} was accepted: {json}");
        let err = serde_json::from_value(json.clone())
            .unwrap_or_else(|e| panic!("{method} {suffix}: error shape ({e}): {json}"));
        (status, err)
    }

    pub async fn create(&self, body: Value) -> Task {
        self.expect_task(Method::POST, "", Some(body), 201).await
    }

    pub async fn get(&self, id: i64) -> Task {
        self.expect_task(Method::GET, &format!("/{id}"), None, 200)
            .await
    }

    /// PATCH …/complete: without a body it toggles, with `{"completed": b}` it sets.
    pub async fn complete(&self, id: i64, completed: Option<bool>) -> Task {
        let body = completed.map(|c| serde_json::json!({ "completed": c }));
        self.expect_task(Method::PATCH, &format!("/{id}/complete"), body, 200)
            .await
    }

    pub async fn update(&self, id: i64, body: Value) -> Task {
        self.expect_task(Method::PUT, &format!("/{id}"), Some(body), 200)
            .await
    }

    /// The tasks a listing with `query` (e.g. `"?status=pending"`) returns.
    pub async fn list(&self, query: &str) -> Vec<Task> {
        let (status, json) = self.send(Method::GET, query, None).await;
        assert_eq!(status, 200, "list {query}: {json}");
        serde_json::from_value(json).expect("a task list")
    }

    /// The ids a listing with `query` returns, in order.
    pub async fn ids(&self, query: &str) -> Vec<i64> {
        self.list(query).await.iter().map(|t| t.id).collect()
    }
}
