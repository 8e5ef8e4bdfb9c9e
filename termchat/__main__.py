from termchat.cli import main

raise SystemExit(main())
