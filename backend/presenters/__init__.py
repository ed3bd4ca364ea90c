"""Results of use cases → the JSON of API.md: `rest` for the REST answers, `realtime` for what each
Socket.IO event carries. Plain functions over domain objects and service views; they read nothing."""
