"""Applications built on federax: what the `federax` command runs.

`federax.apps.train` is `federax train` (a federated training run from
flags or a config file); `federax.apps.datasets` is `federax datasets`.
They sit above every other layer and nothing in federax imports them.
"""
