"""Contactless member cards (issue 7): the record on the tag, enrolment, blocking and
replacing, and the counter operations a tap starts, online or replayed from offline."""
