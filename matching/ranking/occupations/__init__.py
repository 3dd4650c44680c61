"""Occupation normalisation: free-text job titles to ESCO occupations (ISCO-08 codes).

``titles`` cleans titles, ``normaliser`` ranks occupations (lexical and dense), ``suggestions``
serves the portal's live suggestions without the model, ``evaluation`` measures it."""
