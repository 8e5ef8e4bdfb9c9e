from termchat.entry import main

raise SystemExit(main())
