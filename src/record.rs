//! Test records: what testtools' `StreamToDict` builds from events.
