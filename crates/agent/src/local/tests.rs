use super::{
    CLARIFY_PREFIX, Intent, StatusFilter, TaskRef, context::Context, match_score, parse::parse,
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
        details: super::Details::default(),
    }
}

#[test]
fn parses_the_spec_commands() {
    assert_eq!(parse("Add a task to buy groceries"), add("buy groceries"));
    assert_eq!(parse("I need to remember to pay bills"), add("pay bills"));
    assert_eq!(
        parse("Show me all my tasks"),
        Intent::List(StatusFilter::All)
    );
    assert_eq!(
        parse("What's pending?"),
        Intent::List(StatusFilter::Pending)
    );
    assert_eq!(
        parse("What have I completed?"),
        Intent::List(StatusFilter::Completed)
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
            description: Some("milk, eggs".into()),
            details: super::Details::default(),
        }
    );
}

#[test]
fn parses_everyday_lists_and_changes() {
    assert_eq!(parse("list my tasks"), Intent::List(StatusFilter::All));
    assert_eq!(
        parse("what do I still have to do?"),
        Intent::List(StatusFilter::Pending)
    );
    assert_eq!(
        parse("show completed tasks"),
        Intent::List(StatusFilter::Completed)
    );
    assert_eq!(parse("tasks"), Intent::List(StatusFilter::All));
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

#[test]
fn a_title_reference_matches_only_when_every_word_does() {
    use super::matching::names;
    assert!(names("call mom", "Call mom"));
    assert!(
        !names("call dad", "Call mom"),
        "one different word is no match"
    );
    assert!(
        !names("call the bank", "Call mom"),
        "half the words is no match"
    );
    assert!(names("meeting prep", "Team meeting prep"));
    assert!(
        names("budgte report", "Prepare the budget report"),
        "one typo"
    );
    assert!(!names("cat", "Call mom"), "short words need an exact match");
    assert!(names("called mom", "Call mom"));
    assert!(names("bought milk", "Buy milk"));
}

#[test]
fn edit_distance_counts_a_swap_as_one() {
    use super::matching::edit_distance;
    assert_eq!(edit_distance("compelte", "complete"), 1);
    assert_eq!(edit_distance("delte", "delete"), 1);
    assert_eq!(edit_distance("milk", "milk"), 0);
    assert_eq!(edit_distance("", "abc"), 3);
}

#[test]
fn numbers_words_ordinals_and_pronouns_are_references() {
    use super::refs::parse_ref;
    assert_eq!(parse_ref("task three"), TaskRef::Id(3));
    assert_eq!(parse_ref("no. 5"), TaskRef::Id(5));
    assert_eq!(parse_ref("#5"), TaskRef::Id(5));
    assert_eq!(parse_ref("number 7"), TaskRef::Id(7));
    assert_eq!(parse_ref("the first one"), TaskRef::Position(1));
    assert_eq!(parse_ref("the last one"), TaskRef::Position(-1));
    assert_eq!(parse_ref("it"), TaskRef::Last);
    assert_eq!(parse_ref("that one"), TaskRef::Last);
    assert_eq!(parse_ref("کام 3"), TaskRef::Id(3));
    assert_eq!(parse_ref("the milk task"), TaskRef::Text("milk".into()));
}

#[test]
fn typos_in_the_verb_and_urdu_digits_are_normalised() {
    use super::refs::normalise;
    assert_eq!(normalise("delte task 2"), "delete task 2");
    assert_eq!(
        normalise("please compelte task 2"),
        "please complete task 2"
    );
    assert_eq!(normalise("ad milk"), "add milk");
    assert_eq!(normalise("make a cake"), "make a cake");
    assert_eq!(normalise("کام ۳ مکمل کرو"), "کام 3 مکمل کرو");
}

#[test]
fn questions_never_become_actions() {
    for q in [
        "is task 3 done?",
        "did I buy milk?",
        "can you check if the meeting prep is done?",
        "have I finished the report?",
    ] {
        assert!(
            matches!(parse(q), Intent::Ask { .. }),
            "{q}: {:?}",
            parse(q)
        );
    }
    assert_eq!(
        parse("do I have anything pending?"),
        Intent::List(StatusFilter::Pending)
    );
}

#[test]
fn several_requests_in_one_message() {
    assert_eq!(
        parse("add milk and eggs"),
        Intent::Many(vec![add("milk"), add("eggs")])
    );
    assert_eq!(
        parse("add buy lamp and mark task 2 done"),
        Intent::Many(vec![
            add("buy lamp"),
            Intent::SetCompleted {
                target: TaskRef::Id(2),
                completed: true
            }
        ])
    );
    assert_eq!(
        parse("add a task to call mom and dad"),
        add("call mom and dad")
    );
}

#[test]
fn urdu_and_roman_urdu_commands() {
    use super::Lang;
    assert_eq!(parse("دودھ خریدنے کا کام شامل کرو"), add("دودھ خریدنے"));
    assert_eq!(parse("میرے کام دکھاؤ"), Intent::List(StatusFilter::All));
    assert_eq!(
        parse("kaam 3 mukammal karo"),
        Intent::SetCompleted {
            target: TaskRef::Id(3),
            completed: true
        }
    );
    assert_eq!(parse("mere kaam dikhao"), Intent::List(StatusFilter::All));
    assert_eq!(
        parse("task 2 delete kar do"),
        Intent::Delete {
            target: TaskRef::Id(2)
        }
    );
    assert_eq!(Lang::detect("میرے کام دکھاؤ"), Lang::Ur);
    assert_eq!(Lang::detect("mere kaam dikhao"), Lang::Roman);
    assert_eq!(Lang::detect("show my tasks"), Lang::En);
}
