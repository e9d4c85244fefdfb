//! Priorities, tags, due dates, recurrence, search, filters and sort through the REST API, on SQLite
//! and PostgreSQL.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{Db, TestApp, TestUser};
use reqwest::Method;
use serde_json::{Value, json};

async fn post(app: &TestApp, user: &TestUser, body: Value) -> (u16, Value) {
    app.call(
        Method::POST,
        &format!("/api/{}/tasks", user.id),
        Some(&user.jwt),
        Some(body),
    )
    .await
}

async fn list(app: &TestApp, user: &TestUser, query: &str) -> (u16, Value) {
    app.call(
        Method::GET,
        &format!("/api/{}/tasks?{query}", user.id),
        Some(&user.jwt),
        None,
    )
    .await
}

async fn ids(app: &TestApp, user: &TestUser, query: &str) -> Vec<i64> {
    let (status, body) = list(app, user, query).await;
    assert_eq!(status, 200, "{query}: {body}");
    body.as_array()
        .expect("array")
        .iter()
        .map(|t| t["id"].as_i64().expect("id"))
        .collect()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn create_reads_back_every_field_and_refuses_bad_values(db: Db) {
    let app = TestApp::start(db).await;
    let user = app.sign_up("Ann").await;
    let due = Utc::now() + Duration::days(2);
    let (status, task) = post(
        &app,
        &user,
        json!({
            "title": "Pay rent", "priority": "high", "tags": ["#Home", "money", "home"],
            "due_at": rfc3339(due), "recurrence": "monthly"
        }),
    )
    .await;
    assert_eq!(status, 201, "{task}");
    assert_eq!(task["priority"], "high");
    assert_eq!(task["tags"], json!(["home", "money"]));
    assert_eq!(
        task["due_at"]
            .as_str()
            .map(|s| s.parse::<DateTime<Utc>>().expect("date").timestamp()),
        Some(due.timestamp())
    );
    assert_eq!(task["recurrence"], "monthly");
    assert_eq!(task["overdue"], false);
    assert_eq!(task["completed_at"], Value::Null);
    let (_, plain) = post(&app, &user, json!({"title": "Plain"})).await;
    assert_eq!(
        (plain["priority"].as_str(), plain["tags"].clone()),
        (Some("medium"), json!([]))
    );

    for (body, field) in [
        (json!({"title": "x", "priority": "urgent"}), "priority"),
        (json!({"title": "x", "due_at": "next friday"}), "due_at"),
        (json!({"title": "x", "recurrence": "hourly"}), "recurrence"),
        (json!({"title": "x", "tags": ["a,b"]}), "tags"),
        (
            json!({"title": "x", "tags": (0..11).map(|i| format!("t{i}")).collect::<Vec<_>>()}),
            "tags",
        ),
    ] {
        let (status, err) = post(&app, &user, body).await;
        assert_eq!(status, 422, "{err}");
        assert!(err["fields"][field].is_string(), "{field}: {err}");
    }
    assert_eq!(
        app.tasks(&user).await.len(),
        2,
        "refused requests created nothing"
    );
    app.finish().await;
}

async fn update_changes_and_clears_the_new_fields(db: Db) {
    let app = TestApp::start(db).await;
    let user = app.sign_up("Ann").await;
    let (_, t) = post(&app, &user, json!({"title": "Report", "tags": ["work"], "due_at": rfc3339(Utc::now()), "recurrence": "weekly"})).await;
    let path = format!("/api/{}/tasks/{}", user.id, t["id"]);
    let (status, t) = app
        .call(
            Method::PUT,
            &path,
            Some(&user.jwt),
            Some(json!({"priority": "low", "tags": ["Q4 report"]})),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(
        (t["priority"].as_str(), t["tags"].clone()),
        (Some("low"), json!(["q4-report"]))
    );
    let (status, t) = app
        .call(
            Method::PUT,
            &path,
            Some(&user.jwt),
            Some(json!({"due_at": null, "recurrence": null, "tags": []})),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(
        (
            t["due_at"].clone(),
            t["recurrence"].clone(),
            t["tags"].clone()
        ),
        (Value::Null, Value::Null, json!([]))
    );
    let (status, err) = app
        .call(
            Method::PUT,
            &path,
            Some(&user.jwt),
            Some(json!({"priority": "top", "title": "changed"})),
        )
        .await;
    assert_eq!(status, 422, "{err}");
    let (_, now) = app.call(Method::GET, &path, Some(&user.jwt), None).await;
    assert_eq!(now["title"], "Report", "a refused update changes nothing");
    app.finish().await;
}

/// Ann's four tasks (1 "Water the plants": low, home, due yesterday; 2 "Quarterly report draft":
/// high, work+q4, due in 3 days; 3 "buy milk 100%_sure": medium, home+shopping, undated; 4 "Call
/// the bank about the report": high, money, due in 5 hours) and Bob's "Bob's report". Returns the
/// app, Ann and the instant the due dates are relative to.
async fn four_tasks(db: Db) -> (TestApp, TestUser, DateTime<Utc>) {
    let app = TestApp::start(db).await;
    let user = app.sign_up("Ann").await;
    let other = app.sign_up("Bob").await;
    let now = Utc::now();
    let specs = [
        (
            "Water the plants",
            "low",
            vec!["home"],
            Some(now - Duration::days(1)),
        ),
        (
            "Quarterly report draft",
            "high",
            vec!["work", "q4"],
            Some(now + Duration::days(3)),
        ),
        (
            "buy milk 100%_sure",
            "medium",
            vec!["home", "shopping"],
            None,
        ),
        (
            "Call the bank about the report",
            "high",
            vec!["money"],
            Some(now + Duration::hours(5)),
        ),
    ];
    for (title, priority, tags, due) in specs {
        let mut body = json!({"title": title, "priority": priority, "tags": tags});
        if let Some(d) = due {
            body["due_at"] = json!(rfc3339(d));
        }
        assert_eq!(post(&app, &user, body).await.0, 201);
    }
    post(
        &app,
        &other,
        json!({"title": "Bob's report", "priority": "high", "tags": ["work"]}),
    )
    .await;

    (app, user, now)
}

async fn listing_filters_by_priority_and_tags(db: Db) {
    let (app, user, _) = four_tasks(db).await;
    assert_eq!(ids(&app, &user, "priority=high").await, [2, 4]);
    assert_eq!(
        ids(&app, &user, "priority=low&priority=medium").await,
        [1, 3]
    );
    assert_eq!(ids(&app, &user, "priority=low,high").await, [1, 2, 4]);
    assert_eq!(ids(&app, &user, "tag=home").await, [1, 3]);
    assert_eq!(
        ids(&app, &user, "tag=home&tag=shopping").await,
        [3],
        "every tag must be present"
    );
    app.finish().await;
}

async fn search_is_case_insensitive_word_by_word_literal_and_only_mine(db: Db) {
    let (app, user, _) = four_tasks(db).await;
    assert_eq!(
        ids(&app, &user, "q=REPORT").await,
        [2, 4],
        "case-insensitive, only my tasks"
    );
    assert_eq!(
        ids(&app, &user, "q=report%20bank").await,
        [4],
        "every word must occur"
    );
    assert_eq!(
        ids(&app, &user, "q=100%25_").await,
        [3],
        "% and _ are literal"
    );
    assert_eq!(ids(&app, &user, "q=%25").await, [3]);
    app.finish().await;
}

async fn listing_filters_by_due_dates_and_overdue(db: Db) {
    let (app, user, now) = four_tasks(db).await;
    assert_eq!(ids(&app, &user, "overdue=true").await, [1]);
    let before = rfc3339(now + Duration::days(1));
    assert_eq!(
        ids(&app, &user, &format!("due_before={before}")).await,
        [1, 4]
    );
    assert_eq!(
        ids(&app, &user, &format!("due_after={}", rfc3339(now))).await,
        [2, 4]
    );
    app.finish().await;
}

async fn listing_sorts_by_due_priority_and_title_with_stable_paging(db: Db) {
    let (app, user, _) = four_tasks(db).await;
    assert_eq!(
        ids(&app, &user, "sort=due").await,
        [1, 4, 2, 3],
        "undated last"
    );
    assert_eq!(
        ids(&app, &user, "sort=due&order=desc").await,
        [2, 4, 1, 3],
        "undated still last"
    );
    assert_eq!(
        ids(&app, &user, "sort=priority").await,
        [2, 4, 3, 1],
        "high first, ties by number"
    );
    assert_eq!(
        ids(&app, &user, "sort=priority&order=asc").await,
        [1, 3, 2, 4]
    );
    assert_eq!(
        ids(&app, &user, "sort=title").await,
        [3, 4, 2, 1],
        "case-insensitive"
    );
    assert_eq!(ids(&app, &user, "order=desc").await, [4, 3, 2, 1]);
    assert_eq!(
        ids(&app, &user, "sort=priority&limit=2&offset=1").await,
        [4, 3],
        "stable paging"
    );
    app.finish().await;
}

async fn listing_filters_combine(db: Db) {
    let (app, user, _) = four_tasks(db).await;
    assert_eq!(
        ids(&app, &user, "status=pending&tag=work&priority=high&q=draft").await,
        [2]
    );

    app.finish().await;
}

async fn bad_or_unknown_list_parameters_are_refused(db: Db) {
    let (app, user, _) = four_tasks(db).await;
    for bad in [
        "priority=urgent",
        "sort=colour",
        "order=up",
        "due_before=tomorrow",
        "overdue=maybe",
        "limit=0",
        "tag=a%2Cb%20c%21",
    ] {
        let (status, body) = list(&app, &user, bad).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
    let (status, _) = list(&app, &user, "colour=red").await;
    assert_eq!(status, 400, "unknown parameters are refused");
    app.finish().await;
}

async fn settings_keep_a_valid_timezone_and_locale_and_refuse_bad_ones(db: Db) {
    let app = TestApp::start(db).await;
    let user = app.sign_up("Ann").await;
    let settings = format!("/api/{}/settings", user.id);
    let (status, err) = app
        .call(
            Method::PUT,
            &settings,
            Some(&user.jwt),
            Some(json!({"timezone": "Mars/Olympus"})),
        )
        .await;
    assert_eq!(status, 422, "{err}");
    let (status, s) = app
        .call(
            Method::PUT,
            &settings,
            Some(&user.jwt),
            Some(json!({"timezone": "Asia/Karachi"})),
        )
        .await;
    assert_eq!(
        (status, s["timezone"].as_str()),
        (200, Some("Asia/Karachi"))
    );
    let (_, s) = app
        .call(Method::GET, &settings, Some(&user.jwt), None)
        .await;
    assert_eq!(
        (s["timezone"].as_str(), s["locale"].clone()),
        (Some("Asia/Karachi"), Value::Null)
    );
    let (status, s) = app
        .call(
            Method::PUT,
            &settings,
            Some(&user.jwt),
            Some(json!({"locale": "ur"})),
        )
        .await;
    assert_eq!(
        (status, s["locale"].as_str(), s["timezone"].as_str()),
        (200, Some("ur"), Some("Asia/Karachi"))
    );
    for bad in [
        json!({"locale": "fr"}),
        json!({}),
        json!({"locale": "ur", "theme": "dark"}),
    ] {
        let (status, err) = app
            .call(Method::PUT, &settings, Some(&user.jwt), Some(bad.clone()))
            .await;
        assert!(status == 422 || status == 400, "{bad}: {status} {err}");
    }
    let (_, s) = app
        .call(Method::GET, &settings, Some(&user.jwt), None)
        .await;
    assert_eq!(s["locale"], "ur", "refused changes changed nothing");

    app.finish().await;
}

/// Ann in Karachi with a monthly "Rent" task due 31 January 2030 09:00 there, completed; returns
/// the app, Ann, the task's complete path and the completion answer.
async fn rent_completed_in_karachi(db: Db) -> (TestApp, TestUser, String, Value) {
    let app = TestApp::start(db).await;
    let user = app.sign_up("Ann").await;
    let (status, s) = app
        .call(
            Method::PUT,
            &format!("/api/{}/settings", user.id),
            Some(&user.jwt),
            Some(json!({"timezone": "Asia/Karachi"})),
        )
        .await;
    assert_eq!(status, 200, "{s}");
    // 31 January 09:00 in Karachi, monthly → 28 February 09:00 Karachi (04:00 UTC)
    let (_, t) = post(
        &app,
        &user,
        json!({"title": "Rent", "priority": "high", "tags": ["money"],
        "due_at": "2030-01-31T09:00:00+05:00", "recurrence": "monthly"}),
    )
    .await;
    let path = format!("/api/{}/tasks/{}/complete", user.id, t["id"]);
    let (status, done) = app
        .call(
            Method::PATCH,
            &path,
            Some(&user.jwt),
            Some(json!({"completed": true})),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    (app, user, path, done)
}

async fn completing_a_recurring_task_creates_the_next_occurrence_in_the_users_timezone(db: Db) {
    let (app, _user, _path, done) = rent_completed_in_karachi(db).await;
    assert_eq!(done["completed"], true);
    assert!(done["completed_at"].is_string(), "{done}");
    let next = &done["next"];
    assert_eq!(
        (
            next["id"].as_i64(),
            next["title"].as_str(),
            next["completed"].as_bool()
        ),
        (Some(2), Some("Rent"), Some(false))
    );
    assert_eq!(
        next["due_at"]
            .as_str()
            .map(|d| d.parse::<DateTime<Utc>>().expect("date")),
        Some("2030-02-28T04:00:00Z".parse().expect("date"))
    );
    assert_eq!(
        (
            next["priority"].as_str(),
            next["tags"].clone(),
            next["recurrence"].as_str()
        ),
        (Some("high"), json!(["money"]), Some("monthly"))
    );

    app.finish().await;
}

async fn reopening_a_recurring_task_clears_completed_at_and_creates_nothing(db: Db) {
    let (app, user, path, _) = rent_completed_in_karachi(db).await;
    // reopening clears completed_at and creates nothing
    let (_, reopened) = app
        .call(
            Method::PATCH,
            &path,
            Some(&user.jwt),
            Some(json!({"completed": false})),
        )
        .await;
    assert_eq!(
        (reopened["completed_at"].clone(), reopened.get("next")),
        (Value::Null, None)
    );
    assert_eq!(app.tasks(&user).await.len(), 2);
    app.finish().await;
}

async fn due_soon_lists_overdue_and_upcoming_pending_tasks(db: Db) {
    let app = TestApp::start(db).await;
    let user = app.sign_up("Ann").await;
    let now = Utc::now();
    for (title, due) in [
        ("later", now + Duration::days(5)),
        ("soon", now + Duration::hours(3)),
        ("late", now - Duration::hours(2)),
    ] {
        post(&app, &user, json!({"title": title, "due_at": rfc3339(due)})).await;
    }
    post(&app, &user, json!({"title": "undated"})).await;
    let path = format!("/api/{}/tasks/due", user.id);
    let (status, due) = app.call(Method::GET, &path, Some(&user.jwt), None).await;
    assert_eq!(status, 200, "{due}");
    let titles: Vec<&str> = due
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|t| t["title"].as_str())
        .collect();
    assert_eq!(titles, ["late", "soon"]);
    assert_eq!(due[0]["overdue"], true);
    let (_, week) = app
        .call(
            Method::GET,
            &format!("{path}?within_hours=168"),
            Some(&user.jwt),
            None,
        )
        .await;
    assert_eq!(week.as_array().map(Vec::len), Some(3));
    let (status, _) = app
        .call(
            Method::GET,
            &format!("{path}?within_hours=0"),
            Some(&user.jwt),
            None,
        )
        .await;
    assert_eq!(status, 422);
    app.finish().await;
}

db_tests!(
    create_reads_back_every_field_and_refuses_bad_values,
    update_changes_and_clears_the_new_fields,
    listing_filters_by_priority_and_tags,
    search_is_case_insensitive_word_by_word_literal_and_only_mine,
    listing_filters_by_due_dates_and_overdue,
    listing_sorts_by_due_priority_and_title_with_stable_paging,
    listing_filters_combine,
    bad_or_unknown_list_parameters_are_refused,
    settings_keep_a_valid_timezone_and_locale_and_refuse_bad_ones,
    completing_a_recurring_task_creates_the_next_occurrence_in_the_users_timezone,
    reopening_a_recurring_task_clears_completed_at_and_creates_nothing,
    due_soon_lists_overdue_and_upcoming_pending_tasks,
);
