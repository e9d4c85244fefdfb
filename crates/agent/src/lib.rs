//! todobot agent
