use super::{
    CLARIFY_PREFIX, Intent, ListStatus, TaskRef, context::Context, match_score, parse::parse,
    refs::unquote,
};

fn answer_to_clarification(history: &[HistoryMessage], text: &str) -> Option<Intent> {
    let mut history = history.to_vec();
    history.pop();
    history.push(HistoryMessage::user(text));
    Context::from_history(&history).follow_up(text)
}
use crate::HistoryMessage;

fn add(t: &str) -> Intent {
    Intent::Add {
        title: t.into(),
        description: None,
    }
}

#[test]
fn parses_the_spec_commands() {
    assert_eq!(parse("Add a task to buy groceries"), add("buy groceries"));
    assert_eq!(parse("I need to remember to pay bills"), add("pay bills"));
    assert_eq!(parse("Show me all my tasks"), Intent::List(ListStatus::All));
    assert_eq!(parse("What's pending?"), Intent::List(ListStatus::Pending));
    assert_eq!(
        parse("What have I completed?"),
        Intent::List(ListStatus::Completed)
    );
    assert_eq!(
        parse("Mark task 3 as complete"),
        Intent::SetCompleted {
            target: TaskRef::Id(3),
            completed: true
        }
    );
    assert_eq!(
        parse("I finished buying groceries"),
        Intent::SetCompleted {
            target: TaskRef::Text("buying groceries".into()),
            completed: true
        }
    );
    assert_eq!(
        parse("Delete the meeting task"),
        Intent::Delete {
            target: TaskRef::Text("meeting".into())
        }
    );
    assert_eq!(
        parse("Change task 1 to 'Call mom tonight'"),
        Intent::Update {
            target: TaskRef::Id(1),
            title: Some("Call mom tonight".into()),
            description: None
        }
    );
}

#[test]
fn parses_everyday_variants() {
    assert_eq!(parse("add buy milk to my list"), add("buy milk"));
    assert_eq!(
        parse("please add task: call the plumber"),
        add("call the plumber")
    );
    assert_eq!(
        parse("Remind me to water the plants."),
        add("water the plants")
    );
    assert_eq!(
        parse("create a todo for dentist appointment"),
        add("dentist appointment")
    );
    assert_eq!(
        parse("add a task to buy groceries with description milk, eggs"),
        Intent::Add {
            title: "buy groceries".into(),
            description: Some("milk, eggs".into())
        }
    );
    assert_eq!(parse("list my tasks"), Intent::List(ListStatus::All));
    assert_eq!(
        parse("what do I still have to do?"),
        Intent::List(ListStatus::Pending)
    );
    assert_eq!(
        parse("show completed tasks"),
        Intent::List(ListStatus::Completed)
    );
    assert_eq!(parse("tasks"), Intent::List(ListStatus::All));
    assert_eq!(
        parse("task 2 is done"),
        Intent::SetCompleted {
            target: TaskRef::Id(2),
            completed: true
        }
    );
    assert_eq!(
        parse("complete #4"),
        Intent::SetCompleted {
            target: TaskRef::Id(4),
            completed: true
        }
    );
    assert_eq!(
        parse("mark task 5 as not done"),
        Intent::SetCompleted {
            target: TaskRef::Id(5),
            completed: false
        }
    );
    assert_eq!(
        parse("reopen task 2"),
        Intent::SetCompleted {
            target: TaskRef::Id(2),
            completed: false
        }
    );
    assert_eq!(
        parse("remove task 7"),
        Intent::Delete {
            target: TaskRef::Id(7)
        }
    );
    assert_eq!(
        parse("rename the groceries task to buy food"),
        Intent::Update {
            target: TaskRef::Text("groceries".into()),
            title: Some("buy food".into()),
            description: None
        }
    );
    assert_eq!(
        parse("change the description of task 2 to bring the slides"),
        Intent::Update {
            target: TaskRef::Id(2),
            title: None,
            description: Some("bring the slides".into())
        }
    );
    assert_eq!(parse("hello!"), Intent::Greet);
    assert_eq!(unquote("“"), "“");
    assert_eq!(unquote("'"), "'");
    assert_eq!(parse("add “"), add("“"));
    assert_eq!(parse("help"), Intent::Help);
    assert_eq!(parse("the weather is nice"), Intent::Unknown);
}

#[test]
fn fuzzy_matching_prefers_the_closest_title() {
    assert!(match_score("buying groceries", "Buy groceries") > 0.9);
    assert!(match_score("meeting", "Team meeting at 10") > 0.45);
    assert!(match_score("meeting", "Buy groceries") < 0.45);
    assert!(
        match_score("grocries", "Buy groceries") > 0.45,
        "one typo is fine"
    );
    assert!(
        match_score("buy groceries", "Buy groceries")
            > match_score("buy groceries", "Buy groceries for the party")
    );
}

#[test]
fn clarification_answers_complete_the_original_request() {
    let history = vec![
        HistoryMessage::user("delete the meeting task"),
        HistoryMessage::assistant(
            format!(
                "{CLARIFY_PREFIX} I found 2 tasks matching \"meeting\": task 2 \"Team meeting\", task 5 \"Meeting with Bob\". Reply with the task number."
            ),
            vec![],
        ),
        HistoryMessage::user("the second one"),
    ];
    assert_eq!(
        answer_to_clarification(&history, "the second one"),
        Some(Intent::Delete {
            target: TaskRef::Id(5)
        })
    );
    assert_eq!(
        answer_to_clarification(&history, "task 2"),
        Some(Intent::Delete {
            target: TaskRef::Id(2)
        })
    );
    assert_eq!(answer_to_clarification(&history, "show my tasks"), None);
}
