SELECT 'a;b'; /* c; */ SELECT `x;` -- d;
; # e
