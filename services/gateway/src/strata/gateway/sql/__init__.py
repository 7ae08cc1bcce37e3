"""Every statement the gateway runs, from the `.sql` files of this folder, loaded once as `Q`.

One namespace: a statement is `Q.<name>` whichever file holds it (the files only group them for
people), and a name defined in two files stops the import."""

from pathlib import Path

from strata.runtime.db import Queries

Q = Queries.load_folder(Path(__file__).parent)
