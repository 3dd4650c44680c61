"""Vacancies and company places: what each user may see, editing, the lifecycle (publish,
approve, pause, close, fill) and forwarding between organisations."""
