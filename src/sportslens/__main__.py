from sportslens.cli import main

main()
