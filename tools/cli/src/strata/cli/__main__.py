from strata.cli.app import main

main()
